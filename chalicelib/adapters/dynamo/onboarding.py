"""Onboarding's items: customer applications, the hold an application has on its organisation number, the
agreement's signing links and each organisation's signatory (docs/data-model.md)."""

from __future__ import annotations

from chalicelib.adapters.dynamo.schema import GSI2
from chalicelib.adapters.dynamo.table import DynamoTable, Item, expires_a_day_after, staged, without_bookkeeping
from chalicelib.onboarding.model import AgreementSigning, Application, ApplicationStatus, Signatory
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.transactions import Transaction

PENDING_APPLICATIONS = "APPLICATIONS#PENDING"


def application_key(application_id: str) -> Item:
    return {"pk": f"APPLICATION#{application_id}", "sk": "APPLICATION"}


def holder_key(org_number: str) -> Item:
    """One per organisation number: two applications for one organisation cannot both be stored."""
    return {"pk": f"ORGNUMBER#{org_number}", "sk": "APPLICATION"}


def signing_key(key: str) -> Item:
    return {"pk": f"AGREEMENT#{key}", "sk": "SIGNING"}


def signatory_key(org_id: str) -> Item:
    return {"pk": f"ORG#{org_id}", "sk": "SIGNATORY"}


def application_item(application: Application) -> Item:
    item: Item = {
        **application_key(application.application_id),
        "entity": "application",
        **application.model_dump(mode="json"),
    }
    if application.is_pending:  # a sparse index: the provider's list holds the pending ones only
        item[GSI2.partition_key] = PENDING_APPLICATIONS
        item[GSI2.sort_key] = f"{application.submitted_at.isoformat()}#{application.application_id}"
    return item


class DynamoApplications:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def get(self, application_id: str) -> Application | None:
        item = self._table.get(application_key(application_id))
        return Application.model_validate(without_bookkeeping(item)) if item else None

    def holder(self, org_number: str) -> str | None:
        item = self._table.get(holder_key(org_number))
        return str(item["application_id"]) if item else None

    def add(self, transaction: Transaction, application: Application) -> None:
        writes = staged(transaction)
        writes.put(application_item(application), "attribute_not_exists(pk)")
        writes.put(
            {
                **holder_key(application.org_number),
                "entity": "org_number",
                "application_id": application.application_id,
            },
            "attribute_not_exists(pk)",
        )

    def decide(self, transaction: Transaction, application: Application) -> None:
        writes = staged(transaction)
        writes.put(
            application_item(application),
            "#status = :pending",
            {":pending": ApplicationStatus.PENDING.value},
            {"#status": "status"},
        )
        if application.status is ApplicationStatus.REJECTED:
            writes.delete(holder_key(application.org_number))  # it may apply again

    def pending(self, page: PageRequest) -> Page[Application]:
        found = self._table.query(PENDING_APPLICATIONS, index=GSI2, newest_first=True, page=page)
        return found.map(lambda item: Application.model_validate(without_bookkeeping(item)))


class DynamoAgreementSignings:
    """Signing links by their hash, TTL a day after they expire; the organisation's signatory beside it."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def _item(self, signing: AgreementSigning) -> Item:
        return {
            **signing_key(signing.key),
            "entity": "agreement_signing",
            "expires_at_epoch": expires_a_day_after(signing.expires_at),
            **signing.model_dump(mode="json"),
        }

    def add(self, transaction: Transaction, signing: AgreementSigning) -> None:
        writes = staged(transaction)
        writes.put(self._item(signing), "attribute_not_exists(pk)")
        writes.put({**signatory_key(signing.org_id), "entity": "signatory", **signing.signatory.model_dump()})

    def get(self, key: str) -> AgreementSigning | None:
        item = self._table.get(signing_key(key))
        return AgreementSigning.model_validate(without_bookkeeping(item)) if item else None

    def sign(self, transaction: Transaction, signing: AgreementSigning) -> None:
        staged(transaction).put(self._item(signing), "attribute_exists(pk) AND attribute_not_exists(signed_at)")

    def signatory_of(self, org_id: str) -> Signatory | None:
        item = self._table.get(signatory_key(org_id))
        return Signatory.model_validate(without_bookkeeping(item)) if item else None
