"""An organisation's people, managed by its administrators (R-ONB-3): listing, adding (an account and its
invitation), changing (the account kept in step) and removing them (signed out everywhere). Customers, agents
and the provider alike: each kind gives its own roles (`model.ROLES_BY_KIND`).

Each change is one conditional write of the directory, against the organisation's roster version, so a rule
over all its people (an administrator is left) holds however many administrators act at once; what follows
outside the directory (Cognito, sessions, the invitation) is safe to do again, so a request that failed half-way
is finished by sending it again."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from chalicelib.directory.accounts import AccountService
from chalicelib.directory.commands import AddPerson, EditPerson
from chalicelib.directory.model import (
    RemovedPerson,
    comparable_email,
    keeps_an_administrator,
    mobile_number,
    new_user_id,
    roles_for,
)
from chalicelib.directory.ports import Accounts, Directory, Organisation
from chalicelib.directory.reasons import (
    ALREADY_ADDED,
    EMAIL_TAKEN,
    NOT_AN_ADMINISTRATOR,
    NOT_IN_DIRECTORY,
    PEOPLE_BUSY,
    PERSON_NOT_FOUND,
)
from chalicelib.directory.services import SessionService
from chalicelib.shared.errors import AlreadyDone, InProgress, InvalidRequest, NotAllowed, NotFound
from chalicelib.shared.identity import Actor, Person, Role
from chalicelib.shared.languages import Language
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.time import Clock
from chalicelib.shared.transactions import ConcurrentChange, Transactions

T = TypeVar("T")
ATTEMPTS = 3  # a change refused because another changed the roster first is tried again on what is there now
FIRST_ADMINISTRATOR = "first-administrator"  # the request key of a stage's first administrator


class PeopleService:
    def __init__(
        self,
        directory: Directory,
        accounts: Accounts,
        opening: AccountService,
        sessions: SessionService,
        transactions: Transactions,
        clock: Clock,
    ) -> None:
        self._directory = directory
        self._accounts = accounts
        self._opening = opening
        self._sessions = sessions
        self._transactions = transactions
        self._clock = clock

    def people(self, actor: Actor, page: PageRequest) -> Page[Person]:
        """R-ONB-3: the administrator's organisation's people by name, a page at a time."""
        organisation = self._administered(actor)
        return self._directory.people_page(organisation.org_id, page)

    def person(self, actor: Actor, user_id: str) -> Person:
        """One of them; a person of another organisation is not found (nobody learns they exist)."""
        return self._person_of(self._administered(actor), user_id)

    def add(self, actor: Actor, command: AddPerson, request_key: str) -> Person:
        """The person, their account and its invitation. The same request again (`request_key`) adds nobody
        else and finishes what it started; a new request with someone's address is refused naming `email`."""
        organisation = self._administered(actor)
        person = Person(
            user_id=new_user_id(command.name, organisation.org_id, request_key),
            org_id=organisation.org_id,
            name=command.name,
            email=command.email,
            phone=mobile_number(command.phone),
            roles=roles_for(organisation, list(command.roles)),
            language=command.language,
        )
        return self._add(organisation, person, added_by=actor.person.name)

    def first_administrator(self, organisation: Organisation, name: str, email: str, language: Language) -> Person:
        """A new stage's first administrator (`make admin`), of the organisation given, saved if it is missing;
        run again, it adds nobody else."""
        if self._directory.organisation(organisation.org_id) is None:
            self._directory.save_organisation(organisation)
        person = Person(
            user_id=new_user_id(name, organisation.org_id, FIRST_ADMINISTRATOR),
            org_id=organisation.org_id,
            name=name,
            email=email.strip(),
            roles=[Role.ADMINISTRATOR],
            language=language,
        )
        return self._add(organisation, person, added_by=organisation.name)

    def invite_again(self, actor: Actor, user_id: str, request_key: str) -> Person:
        """A new invitation to choose a password, for one of the administrator's people whose invitation expired
        or was lost (the old link stays as it was). The same request again sends one mail."""
        organisation = self._administered(actor)
        person = self._person_of(organisation, user_id)
        self._opening.invite_again(
            person, {"organisation": organisation.name, "added_by": actor.person.name}, request_key
        )
        return person

    def edit(self, actor: Actor, user_id: str, command: EditPerson) -> Person:
        """The person as changed, and their account with them (e-mail; groups mirror roles). R-ONB-3: the
        organisation keeps an administrator, so an administrator cannot take the role from the last one,
        themselves included."""
        organisation = self._administered(actor)

        def change() -> Person:
            before = self._person_of(organisation, user_id)
            changes: dict[str, object] = {}
            if command.name is not None:
                changes["name"] = command.name
            if command.email is not None:
                changes["email"] = command.email
            if command.roles is not None:
                changes["roles"] = roles_for(organisation, list(command.roles))
            if command.phone is not None:
                changes["phone"] = mobile_number(command.phone)
            after = before.model_copy(update=changes)
            if after == before:
                return after
            others = [p for p in self._directory.people(organisation.org_id) if p.user_id != user_id]
            keeps_an_administrator([*others, after])
            if comparable_email(after.email) != comparable_email(before.email):
                self._require_address_free(after)
            transaction = self._transactions.begin()
            self._directory.change_person(transaction, before, after, self._directory.roster(organisation.org_id))
            transaction.commit()
            return after

        after = self._retried(change)
        self._accounts.update(after)  # also when nothing changed: a request that failed after the write is finished
        return after

    def remove(self, actor: Actor, user_id: str) -> None:
        """R-ONB-3: the person leaves the directory, their account is signed out everywhere and deleted, and
        their portal sessions end. Orders and their history keep their name. Removing the organisation's last
        administrator is refused. Sent again, it finishes a removal that stopped half-way."""
        organisation = self._administered(actor)

        def remove() -> None:
            removed = self._directory.removed(user_id)
            person = self._directory.person(user_id)
            if person is None and removed is not None and removed.org_id == organisation.org_id:
                return  # removed already: what follows is done again
            person = self._person_of(organisation, user_id)
            others = [p for p in self._directory.people(organisation.org_id) if p.user_id != user_id]
            keeps_an_administrator(others, field=None)
            removal = RemovedPerson(
                user_id=person.user_id,
                org_id=person.org_id,
                name=person.name,
                removed_at=self._clock(),
                removed_by=actor.person.user_id,
            )
            transaction = self._transactions.begin()
            self._directory.remove_person(transaction, person, removal, self._directory.roster(organisation.org_id))
            transaction.commit()

        self._retried(remove)
        self._accounts.remove(user_id)  # Cognito: signed out everywhere, and deleted
        self._sessions.end_all(user_id)  # the portal's own sessions

    def _add(self, organisation: Organisation, person: Person, added_by: str) -> Person:
        def add() -> Person:
            existing = self._directory.person(person.user_id)
            if existing is not None:
                if existing.org_id == organisation.org_id and comparable_email(existing.email) == comparable_email(
                    person.email
                ):
                    return existing  # the same request again: what it started is finished below
                raise AlreadyDone(ALREADY_ADDED)
            self._require_address_free(person)
            transaction = self._transactions.begin()
            self._directory.add_person(transaction, person, self._directory.roster(organisation.org_id))
            transaction.commit()
            return person

        added = self._retried(add)
        self._opening.open_account(added, {"organisation": organisation.name, "added_by": added_by})
        return added

    def _retried(self, change: Callable[[], T]) -> T:
        for _attempt in range(ATTEMPTS):
            try:
                return change()
            except ConcurrentChange:
                continue  # read again: the rules are checked over what another wrote meanwhile
        raise InProgress(PEOPLE_BUSY)

    def _require_address_free(self, person: Person) -> None:
        holder = self._directory.person_with_email(person.email)
        if holder is not None and holder.user_id != person.user_id:
            raise InvalidRequest(EMAIL_TAKEN, field="email")

    def _administered(self, actor: Actor) -> Organisation:
        """R-ONB-3: only an administrator manages people, and only their own organisation's."""
        if not actor.person.has_role(Role.ADMINISTRATOR):
            raise NotAllowed(NOT_AN_ADMINISTRATOR)
        organisation = self._directory.organisation(actor.person.org_id)
        if organisation is None:
            raise NotAllowed(NOT_IN_DIRECTORY)
        return organisation

    def _person_of(self, organisation: Organisation, user_id: str) -> Person:
        person = self._directory.person(user_id)
        if person is None or person.org_id != organisation.org_id:
            raise NotFound(PERSON_NOT_FOUND)
        return person
