"""The directory's items: organisations, people, and the portal's web sessions (docs/data-model.md)."""

from __future__ import annotations

from datetime import datetime

from chalicelib.adapters.dynamo.schema import GSI1
from chalicelib.adapters.dynamo.table import DynamoTable, Item, expires_a_day_after, staged, without_bookkeeping
from chalicelib.directory.model import comparable_name
from chalicelib.directory.ports import Invitation, Language, Organisation, SavedInvoiceDetails, WebSession
from chalicelib.shared.identity import Person, Role
from chalicelib.shared.transactions import Transaction

SESSION_ENTRY = "WEBSESSION#"
# A transaction writes at most 100 items: a session and its entry in the person's list are two.
SESSIONS_PER_TRANSACTION = 50


def person_key(user_id: str) -> dict[str, str]:
    return {"pk": f"USER#{user_id}", "sk": "PROFILE"}


def organisation_key(org_id: str) -> dict[str, str]:
    return {"pk": f"ORG#{org_id}", "sk": "PROFILE"}


def web_session_key(key: str) -> Item:
    return {"pk": f"WEBSESSION#{key}", "sk": "SESSION"}


def web_session_entry_key(user_id: str, key: str) -> Item:
    """The session in its person's list, beside their profile: ending all of a person's sessions reads this
    partition (strongly consistent, so a session started a moment ago is not missed), never an index or a scan."""
    return {"pk": f"USER#{user_id}", "sk": f"{SESSION_ENTRY}{key}"}


def _session_expiry(session: WebSession) -> int:
    """TTL at the absolute expiry: nothing keeps a session longer. Reads check expiry themselves."""
    return int(session.expires_at.timestamp())


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


class DynamoWebSessions:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def create(self, session: WebSession) -> None:
        transaction = self._table.begin()
        transaction.put(
            {
                **web_session_key(session.key),
                "entity": "web_session",
                "expires_at_epoch": _session_expiry(session),
                **session.model_dump(mode="json"),
            },
            "attribute_not_exists(pk)",
        )
        transaction.put(
            {
                **web_session_entry_key(session.user_id, session.key),
                "entity": "web_session_entry",
                "expires_at_epoch": _session_expiry(session),
            }
        )
        transaction.commit()

    def get(self, key: str, now: datetime) -> WebSession | None:
        item = self._table.get(web_session_key(key))
        session = WebSession.model_validate(without_bookkeeping(item)) if item else None
        return session if session is not None and session.is_live(now) else None

    def touch(self, session: WebSession) -> None:
        # Conditional: an update of an item ended meanwhile would write a new item of this one attribute.
        self._table.update(
            web_session_key(session.key),
            "SET idle_expires_at = :at",
            {":at": session.model_dump(mode="json", include={"idle_expires_at"})["idle_expires_at"]},
            condition="attribute_exists(pk)",
        )

    def set_language(self, key: str, language: Language) -> None:
        self._table.update(
            web_session_key(key),
            "SET #language = :language",
            {":language": language.value},
            names={"#language": "language"},
            condition="attribute_exists(pk)",
        )

    def set_acting_as(self, key: str, user_id: str | None) -> None:
        if user_id is None:
            # An update needs a value to name: the session's own key, in its condition.
            self._table.update(
                web_session_key(key),
                "REMOVE acting_as",
                {":key": key},
                names={"#key": "key"},
                condition="attribute_exists(pk) AND #key = :key",
            )
            return
        self._table.update(
            web_session_key(key),
            "SET acting_as = :user_id",
            {":user_id": user_id},
            condition="attribute_exists(pk)",
        )

    def end(self, session: WebSession) -> None:
        self._table.begin().delete(web_session_key(session.key)).delete(
            web_session_entry_key(session.user_id, session.key)
        ).commit()

    def end_all(self, user_id: str) -> None:
        entries = self._table.query_all(f"USER#{user_id}", sort_prefix=SESSION_ENTRY, consistent=True)
        keys = [str(entry["sk"]).removeprefix(SESSION_ENTRY) for entry in entries]
        for start in range(0, len(keys), SESSIONS_PER_TRANSACTION):
            transaction = self._table.begin()
            for key in keys[start : start + SESSIONS_PER_TRANSACTION]:
                transaction.delete(web_session_key(key)).delete(web_session_entry_key(user_id, key))
            transaction.commit()


def invitation_key(key: str) -> Item:
    return {"pk": f"INVITATION#{key}", "sk": "INVITATION"}


class DynamoInvitations:
    """Invitations to choose a password, by their link's hash; TTL a day after they expire."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def add(self, transaction: Transaction, invitation: Invitation) -> None:
        staged(transaction).put(
            {
                **invitation_key(invitation.key),
                "entity": "invitation",
                "expires_at_epoch": expires_a_day_after(invitation.expires_at),
                **invitation.model_dump(mode="json"),
            },
            "attribute_not_exists(pk)",
        )

    def get(self, key: str) -> Invitation | None:
        item = self._table.get(invitation_key(key))
        return Invitation.model_validate(without_bookkeeping(item)) if item else None

    def use(self, transaction: Transaction, invitation: Invitation) -> None:
        staged(transaction).put(
            {
                **invitation_key(invitation.key),
                "entity": "invitation",
                "expires_at_epoch": expires_a_day_after(invitation.expires_at),
                **invitation.model_dump(mode="json"),
            },
            "attribute_exists(pk) AND attribute_not_exists(used_at)",
        )
