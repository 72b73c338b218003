"""The directory's items: organisations, people, and the portal's web sessions (docs/data-model.md)."""

from __future__ import annotations

from datetime import datetime

from chalicelib.adapters.dynamo.schema import GSI1, GSI3
from chalicelib.adapters.dynamo.table import DynamoTable, Item, expires_a_day_after, staged, without_bookkeeping
from chalicelib.directory.model import comparable_email, comparable_name
from chalicelib.directory.ports import (
    Invitation,
    Language,
    Organisation,
    RemovedPerson,
    SavedInvoiceDetails,
    WebSession,
)
from chalicelib.shared.identity import Person, Role
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.transactions import Transaction

SESSION_ENTRY = "WEBSESSION#"
# A transaction writes at most 100 items: a session and its entry in the person's list are two.
SESSIONS_PER_TRANSACTION = 50


def person_key(user_id: str) -> dict[str, str]:
    return {"pk": f"USER#{user_id}", "sk": "PROFILE"}


def organisation_key(org_id: str) -> dict[str, str]:
    return {"pk": f"ORG#{org_id}", "sk": "PROFILE"}


def roster_key(org_id: str) -> Item:
    """The version of an organisation's people, which every change of them moves on (docs/data-model.md)."""
    return {"pk": f"ORG#{org_id}", "sk": "ROSTER"}


def email_key(email: str) -> Item:
    """An address held by one person: its item's existence is what refuses a second (R-ONB-3). The one registry
    of addresses in the directory: a requisitioner's orderers claim theirs here too (R-REQ-6)."""
    return {"pk": f"EMAIL#{comparable_email(email)}", "sk": "EMAIL"}


def removed_key(user_id: str) -> Item:
    return {"pk": f"USER#{user_id}", "sk": "REMOVED"}


def person_item(person: Person) -> Item:
    return {
        **person_key(person.user_id),
        "entity": "user",
        GSI1.partition_key: f"ORG#{person.org_id}#USERS",
        # By name: an administrator's list reads in alphabetical order, page by page.
        GSI1.sort_key: f"USER#{comparable_name(person.name)}#{person.user_id}",
        **person.model_dump(mode="json"),
    }


def email_item(person: Person) -> Item:
    return {**email_key(person.email), "entity": "email", "user_id": person.user_id}


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

    def organisation_numbered(self, org_number: str) -> Organisation | None:
        items = self._table.query_all(f"ORGNUMBER#{org_number}", index=GSI3)
        return Organisation.model_validate(without_bookkeeping(items[0])) if items else None

    def record_signed_agreement(self, transaction: Transaction, org_id: str, version: int) -> None:
        staged(transaction).update(
            organisation_key(org_id),
            "SET signed_agreement_version = :version",
            "attribute_exists(pk)",
            {":version": version},
        )

    def people(self, org_id: str | None, role: Role | None = None) -> list[Person]:
        if not org_id:
            return []
        items = self._table.query_all(f"ORG#{org_id}#USERS", index=GSI1)
        people = [Person.model_validate(without_bookkeeping(item)) for item in items]
        return [person for person in people if role is None or person.has_role(role)]

    def save_person(self, person: Person) -> None:
        """The profile, and the address for the person unless someone else holds it: an orderer that shares its
        requisitioner's address (R-REQ-6) leaves the address the requisitioner's."""
        self._table.put(person_item(person))
        self._table.put(email_item(person), "attribute_not_exists(pk) OR user_id = :me", {":me": person.user_id})

    def people_page(self, org_id: str, page: PageRequest) -> Page[Person]:
        found = self._table.query(f"ORG#{org_id}#USERS", index=GSI1, page=page)
        return found.map(lambda item: Person.model_validate(without_bookkeeping(item)))

    def person_with_email(self, email: str) -> Person | None:
        claim = self._table.get(email_key(email))
        return self.person(str(claim["user_id"])) if claim else None

    def email_holder(self, email: str) -> str | None:
        claim = self._table.get(email_key(email))
        return str(claim["user_id"]) if claim else None

    def claim_email(self, transaction: Transaction, email: str, user_id: str) -> None:
        staged(transaction).put(
            {**email_key(email), "entity": "email", "user_id": user_id},
            "attribute_not_exists(pk) OR user_id = :me",
            {":me": user_id},
        )

    def release_email(self, transaction: Transaction, email: str, user_id: str) -> None:
        if self.email_holder(email) == user_id:
            staged(transaction).delete(email_key(email))

    def _release_own(self, transaction: Transaction, person: Person) -> None:
        """The person's address goes with them, unless it is someone else's (an orderer that shares its
        requisitioner's, R-REQ-6)."""
        holder = self.email_holder(person.email)
        if holder is None or holder == person.user_id:
            staged(transaction).delete(email_key(person.email))

    def roster(self, org_id: str) -> int:
        item = self._table.get(roster_key(org_id))
        return int(item["roster_version"]) if item else 0

    def _move_roster(self, transaction: Transaction, org_id: str, roster: int) -> None:
        staged(transaction).update(
            roster_key(org_id),
            "SET roster_version = :next",
            "attribute_not_exists(roster_version) OR roster_version = :read",
            {":next": roster + 1, ":read": roster},
        )

    def add_person(self, transaction: Transaction, person: Person, roster: int) -> None:
        self._move_roster(transaction, person.org_id, roster)
        staged(transaction).put(person_item(person), "attribute_not_exists(pk)").put(
            email_item(person), "attribute_not_exists(pk)"
        )

    def change_person(self, transaction: Transaction, before: Person, after: Person, roster: int) -> None:
        self._move_roster(transaction, after.org_id, roster)
        staged(transaction).put(person_item(after), "attribute_exists(pk)")
        if comparable_email(before.email) != comparable_email(after.email):
            self._release_own(transaction, before)
            staged(transaction).put(email_item(after), "attribute_not_exists(pk)")

    def remove_person(self, transaction: Transaction, person: Person, removal: RemovedPerson, roster: int) -> None:
        self._move_roster(transaction, removal.org_id, roster)
        staged(transaction).put(
            {**removed_key(removal.user_id), "entity": "removed_user", **removal.model_dump(mode="json")}
        )
        staged(transaction).delete(person_key(person.user_id))
        self._release_own(transaction, person)

    def set_serving(self, transaction: Transaction, before: Organisation, after: Organisation) -> None:
        # In place, on the condition that both lists are as they were read: nobody else changed them meanwhile.
        values: Item = {":customers": after.serves_customers, ":customers_read": before.serves_customers}
        condition = "attribute_exists(pk) AND serves_customers = :customers_read"
        if before.source_systems is None:  # never said: not stored, or stored as null
            condition += " AND (attribute_not_exists(source_systems) OR attribute_type(source_systems, :null))"
            values[":null"] = "NULL"
        else:
            condition += " AND source_systems = :systems_read"
            values[":systems_read"] = before.source_systems
        values[":systems"] = after.source_systems or []
        staged(transaction).update(
            organisation_key(after.org_id),
            "SET serves_customers = :customers, source_systems = :systems",
            condition,
            values,
        )

    def removed(self, user_id: str) -> RemovedPerson | None:
        item = self._table.get(removed_key(user_id))
        return RemovedPerson.model_validate(without_bookkeeping(item)) if item else None

    def save_organisation(self, organisation: Organisation) -> None:
        self._table.put(
            {
                **organisation_key(organisation.org_id),
                "entity": "organisation",
                # Customer service finds an organisation's cases by its name (DOMAIN.md Flow 2 step 5).
                GSI1.partition_key: organisation_name_partition(organisation.name),
                GSI1.sort_key: f"ORG#{organisation.org_id}",
                # Onboarding finds an organisation by its number: a second application for it is refused.
                **(
                    {GSI3.partition_key: f"ORGNUMBER#{organisation.org_number}", GSI3.sort_key: "ORG"}
                    if organisation.org_number
                    else {}
                ),
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
