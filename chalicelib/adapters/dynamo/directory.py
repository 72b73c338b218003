"""The directory's items: organisations and people (docs/data-model.md)."""

from __future__ import annotations

from chalicelib.adapters.dynamo.schema import GSI1
from chalicelib.adapters.dynamo.table import DynamoTable, staged, without_bookkeeping
from chalicelib.directory.model import comparable_name
from chalicelib.directory.ports import Organisation, SavedInvoiceDetails
from chalicelib.shared.identity import Person, Role
from chalicelib.shared.transactions import Transaction


def person_key(user_id: str) -> dict[str, str]:
    return {"pk": f"USER#{user_id}", "sk": "PROFILE"}


def organisation_key(org_id: str) -> dict[str, str]:
    return {"pk": f"ORG#{org_id}", "sk": "PROFILE"}


def organisation_name_partition(name: str) -> str:
    return f"ORGNAME#{comparable_name(name)}"


class DynamoDirectory:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def person(self, user_id: str) -> Person | None:
        item = self._table.get(person_key(user_id))
        return Person.model_validate(without_bookkeeping(item)) if item else None

    def organisation(self, org_id: str) -> Organisation | None:
        item = self._table.get(organisation_key(org_id))
        return Organisation.model_validate(without_bookkeeping(item)) if item else None

    def organisations_named(self, name: str) -> list[Organisation]:
        items = self._table.query_all(organisation_name_partition(name), index=GSI1)
        return [Organisation.model_validate(without_bookkeeping(item)) for item in items]

    def people(self, org_id: str | None, role: Role | None = None) -> list[Person]:
        if not org_id:
            return []
        items = self._table.query_all(f"ORG#{org_id}#USERS", index=GSI1)
        people = [Person.model_validate(without_bookkeeping(item)) for item in items]
        return [person for person in people if role is None or person.has_role(role)]

    def save_person(self, person: Person) -> None:
        self._table.put(
            {
                **person_key(person.user_id),
                "entity": "user",
                GSI1.partition_key: f"ORG#{person.org_id}#USERS",
                GSI1.sort_key: f"USER#{person.user_id}",
                **person.model_dump(mode="json"),
            }
        )

    def save_organisation(self, organisation: Organisation) -> None:
        self._table.put(
            {
                **organisation_key(organisation.org_id),
                "entity": "organisation",
                # Customer service finds an organisation's cases by its name (DOMAIN.md Flow 2 step 5).
                GSI1.partition_key: organisation_name_partition(organisation.name),
                GSI1.sort_key: f"ORG#{organisation.org_id}",
                **organisation.model_dump(mode="json"),
            }
        )

    def add_invoice_details(
        self, transaction: Transaction, organisation: Organisation, details: SavedInvoiceDetails
    ) -> None:
        # Appended in place, on the condition that the list is as long as when it was read: nobody else added
        # or removed one meanwhile.
        staged(transaction).update(
            organisation_key(organisation.org_id),
            "SET invoice_details = list_append(invoice_details, :details)",
            "attribute_exists(pk) AND size(invoice_details) = :read",
            {":details": [details.model_dump(mode="json")], ":read": len(organisation.invoice_details)},
        )
