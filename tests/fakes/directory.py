from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.directory.model import comparable_email, comparable_name
from chalicelib.directory.ports import (
    Claims,
    Invitation,
    NewPasswordRequired,
    Organisation,
    RemovedPerson,
    SavedInvoiceDetails,
    SignedIn,
    WebSession,
)
from chalicelib.directory.reasons import (
    NEW_PASSWORD_REQUIRED,
    PASSWORD_TOO_WEAK,
    SIGN_IN_AGAIN,
    TOKEN_NOT_VALID,
    TOO_MANY_ATTEMPTS,
    WRONG_CODE,
    WRONG_PASSWORD,
)
from chalicelib.manifest import PASSWORD_POLICY
from chalicelib.shared.errors import InvalidRequest, NotSignedIn, TooManyAttempts
from chalicelib.shared.identity import Person, Role
from chalicelib.shared.languages import Language
from chalicelib.shared.pagination import Page, PageRequest, bad_cursor
from chalicelib.shared.transactions import ConcurrentChange, Transaction

from .store import MemoryStore, staged


@dataclass
class MemoryDirectory:
    people_by_id: dict[str, Person] = field(default_factory=dict)
    # The one registry of addresses, as the table's EMAIL items: comparable address -> who holds it.
    claims: dict[str, str] = field(default_factory=dict)
    organisations: dict[str, Organisation] = field(default_factory=dict)
    rosters: dict[str, int] = field(default_factory=dict)
    removals: dict[str, RemovedPerson] = field(default_factory=dict)

    def person(self, user_id: str) -> Person | None:
        found = self.people_by_id.get(user_id)
        return found.model_copy(deep=True) if found else None

    def organisation(self, org_id: str) -> Organisation | None:
        found = self.organisations.get(org_id)
        return found.model_copy(deep=True) if found else None

    def organisations_named(self, name: str) -> list[Organisation]:
        wanted = comparable_name(name)
        return [
            organisation.model_copy(deep=True)
            for organisation in sorted(self.organisations.values(), key=lambda organisation: organisation.org_id)
            if comparable_name(organisation.name) == wanted
        ]

    def organisation_numbered(self, org_number: str) -> Organisation | None:
        found = [org for org in self.organisations.values() if org.org_number and org.org_number == org_number]
        return found[0].model_copy(deep=True) if found else None

    def record_signed_agreement(self, transaction: Transaction, org_id: str, version: int) -> None:
        def write() -> None:
            self.organisations[org_id].signed_agreement_version = version

        staged(transaction).stage(write, check=lambda: org_id in self.organisations)

    def people(self, org_id: str | None, role: Role | None = None) -> list[Person]:
        return [
            person.model_copy(deep=True)
            for person in sorted(self.people_by_id.values(), key=lambda person: person.user_id)
            if org_id and person.org_id == org_id and (role is None or person.has_role(role))
        ]

    def save_person(self, person: Person) -> None:
        self.people_by_id[person.user_id] = person.model_copy(deep=True)
        self.claims.setdefault(comparable_email(person.email), person.user_id)  # someone else's stays theirs

    def save_organisation(self, organisation: Organisation) -> None:
        self.organisations[organisation.org_id] = organisation.model_copy(deep=True)

    def people_page(self, org_id: str, page: PageRequest) -> Page[Person]:
        """By name, as the table's index orders them; the cursor is the position after the page's last."""
        ordered = sorted(
            (person for person in self.people_by_id.values() if person.org_id == org_id),
            key=lambda person: (comparable_name(person.name), person.user_id),
        )
        start = 0
        if page.cursor:
            if not page.cursor.isdigit():
                raise bad_cursor()
            start = int(page.cursor)
        chunk = [person.model_copy(deep=True) for person in ordered[start : start + page.limit]]
        more = start + page.limit < len(ordered)
        return Page(chunk, str(start + page.limit) if more else None)

    def person_with_email(self, email: str) -> Person | None:
        holder = self.email_holder(email)
        found = self.people_by_id.get(holder) if holder else None
        return found.model_copy(deep=True) if found else None

    def email_holder(self, email: str) -> str | None:
        return self.claims.get(comparable_email(email))

    def claim_email(self, transaction: Transaction, email: str, user_id: str) -> None:
        wanted = comparable_email(email)
        staged(transaction).stage(
            lambda: self.claims.__setitem__(wanted, user_id), check=lambda: self.claims.get(wanted, user_id) == user_id
        )

    def release_email(self, transaction: Transaction, email: str, user_id: str) -> None:
        staged(transaction).stage(lambda: self._release(email, user_id))

    def _release(self, email: str, user_id: str) -> None:
        if self.claims.get(comparable_email(email)) == user_id:
            del self.claims[comparable_email(email)]

    def roster(self, org_id: str) -> int:
        return self.rosters.get(org_id, 0)

    def _stage(self, transaction: Transaction, org_id: str, roster: int, write: Any, *checks: Any) -> None:
        def holds() -> bool:
            return self.rosters.get(org_id, 0) == roster and all(check() for check in checks)

        def written() -> None:
            self.rosters[org_id] = roster + 1
            write()

        staged(transaction).stage(written, check=holds)

    def _address_free(self, person: Person) -> Any:
        wanted = comparable_email(person.email)
        return lambda: self.claims.get(wanted, person.user_id) == person.user_id

    def add_person(self, transaction: Transaction, person: Person, roster: int) -> None:
        person = person.model_copy(deep=True)
        self._stage(
            transaction,
            person.org_id,
            roster,
            lambda: self._hold(person),
            lambda: person.user_id not in self.people_by_id,
            self._address_free(person),
        )

    def change_person(self, transaction: Transaction, before: Person, after: Person, roster: int) -> None:
        after = after.model_copy(deep=True)
        self._stage(
            transaction,
            after.org_id,
            roster,
            lambda: self._change(before, after),
            lambda: after.user_id in self.people_by_id,
            self._address_free(after),
        )

    def _hold(self, person: Person) -> None:
        self.people_by_id[person.user_id] = person
        self.claims.setdefault(comparable_email(person.email), person.user_id)

    def _change(self, before: Person, after: Person) -> None:
        if comparable_email(before.email) != comparable_email(after.email):
            self._release(before.email, before.user_id)
        self._hold(after)

    def remove_person(self, transaction: Transaction, person: Person, removal: RemovedPerson, roster: int) -> None:
        def write() -> None:
            self.people_by_id.pop(person.user_id, None)
            self._release(person.email, person.user_id)
            self.removals[person.user_id] = removal.model_copy()

        self._stage(transaction, removal.org_id, roster, write)

    def set_serving(self, transaction: Transaction, before: Organisation, after: Organisation) -> None:
        def unchanged() -> bool:
            stored = self.organisations.get(before.org_id)
            return (
                stored is not None
                and stored.serves_customers == before.serves_customers
                and stored.source_systems == before.source_systems
            )

        def write() -> None:
            stored = self.organisations[after.org_id]
            stored.serves_customers = list(after.serves_customers)
            stored.source_systems = list(after.source_systems) if after.source_systems is not None else None

        staged(transaction).stage(write, check=unchanged)

    def removed(self, user_id: str) -> RemovedPerson | None:
        found = self.removals.get(user_id)
        return found.model_copy() if found else None

    def add_invoice_details(
        self, transaction: Transaction, organisation: Organisation, details: SavedInvoiceDetails
    ) -> None:
        org_id, read, details = organisation.org_id, len(organisation.invoice_details), details.model_copy()

        def unchanged() -> bool:
            stored = self.organisations.get(org_id)
            return stored is not None and len(stored.invoice_details) == read

        staged(transaction).stage(lambda: self.organisations[org_id].invoice_details.append(details), check=unchanged)


@dataclass
class FakeTokens:
    """Implements `TokenVerifier`: a token is whatever `issue` handed out."""

    issued: dict[str, Claims] = field(default_factory=dict)

    def issue(self, user_id: str, org_id: str) -> str:
        token = f"token-{len(self.issued)}-{user_id}"
        self.issued[token] = Claims(user_id=user_id, org_id=org_id)
        return token

    def verify(self, token: str) -> Claims:
        if token not in self.issued:
            raise NotSignedIn(TOKEN_NOT_VALID)
        return self.issued[token]


def strong_enough(password: str) -> bool:
    """The user pool's policy (`manifest.PASSWORD_POLICY`), as Cognito applies it."""
    policy = PASSWORD_POLICY
    return (
        len(password) >= policy.min_length
        and (not policy.require_lowercase or re.search(r"[a-z]", password) is not None)
        and (not policy.require_uppercase or re.search(r"[A-Z]", password) is not None)
        and (not policy.require_digits or re.search(r"\d", password) is not None)
        and (not policy.require_symbols or re.search(r"[^A-Za-z0-9]", password) is not None)
    )


@dataclass
class FakeSignIn:
    """Implements `PasswordSignIn` as Cognito behaves: accounts with passwords (temporary ones need a new password
    first), challenge sessions, codes "sent" for a forgotten password (`codes_sent`, as a person reads their
    mail), and a limit on wrong codes. An account's organisation is the directory's unless `org_ids` says."""

    tokens: FakeTokens
    directory: MemoryDirectory
    passwords: dict[str, str] = field(default_factory=dict)
    temporary: set[str] = field(default_factory=set)
    org_ids: dict[str, str] = field(default_factory=dict)
    challenges: dict[str, str] = field(default_factory=dict)  # challenge session -> username
    codes_sent: dict[str, list[str]] = field(default_factory=dict)
    wrong_codes: dict[str, int] = field(default_factory=dict)
    max_wrong_codes: int = 5
    held_off: bool = False  # Cognito limiting sign-in attempts

    def add_account(self, username: str, password: str, *, temporary: bool = False, org_id: str | None = None) -> None:
        self.passwords[username] = password
        if temporary:
            self.temporary.add(username)
        if org_id is not None:
            self.org_ids[username] = org_id

    def _claims(self, username: str) -> Claims:
        person = self.directory.person(username)
        org_id = self.org_ids.get(username) or (person.org_id if person else "")
        return self.tokens.verify(self.tokens.issue(username, org_id))

    def sign_in(self, username: str, password: str) -> SignedIn:
        person = self.directory.person(username)
        if person is None or self.passwords.get(username) != password:
            raise NotSignedIn(WRONG_PASSWORD)
        if username in self.temporary:
            raise NotSignedIn(NEW_PASSWORD_REQUIRED)
        return SignedIn(id_token=self.tokens.issue(person.user_id, person.org_id), expires_in=3600)

    def authenticate(self, username: str, password: str) -> Claims | NewPasswordRequired:
        if self.held_off:
            raise TooManyAttempts(TOO_MANY_ATTEMPTS)
        if username not in self.passwords or self.passwords[username] != password:
            raise NotSignedIn(WRONG_PASSWORD)
        if username in self.temporary:
            challenge_session = secrets.token_urlsafe(48)
            self.challenges[challenge_session] = username
            return NewPasswordRequired(username=username, challenge_session=challenge_session)
        return self._claims(username)

    def complete_new_password(self, username: str, challenge_session: str, new_password: str) -> Claims:
        if self.challenges.get(challenge_session) != username:
            raise NotSignedIn(SIGN_IN_AGAIN)
        if not strong_enough(new_password):
            raise InvalidRequest(PASSWORD_TOO_WEAK, field="new_password", min_length=PASSWORD_POLICY.min_length)
        del self.challenges[challenge_session]
        self.passwords[username] = new_password
        self.temporary.discard(username)
        return self._claims(username)

    def forgot_password(self, username: str) -> None:
        # Cognito sends none to an account still on its temporary password (and says so only to administrators).
        if username in self.passwords and username not in self.temporary:
            self.codes_sent.setdefault(username, []).append(f"{secrets.randbelow(1_000_000):06d}")
            self.wrong_codes[username] = 0

    def set_password(self, username: str, new_password: str) -> None:
        """What an administrator's call does (`Accounts.set_password`): permanent, no challenge left."""
        if not strong_enough(new_password):
            raise InvalidRequest(PASSWORD_TOO_WEAK, field="new_password", min_length=PASSWORD_POLICY.min_length)
        self.passwords[username] = new_password
        self.temporary.discard(username)

    def forget(self, username: str) -> None:
        self.passwords.pop(username, None)
        self.temporary.discard(username)

    def confirm_forgot_password(self, username: str, code: str, new_password: str) -> None:
        sent = self.codes_sent.get(username)
        if self.wrong_codes.get(username, 0) >= self.max_wrong_codes:
            raise TooManyAttempts(TOO_MANY_ATTEMPTS)
        if not sent or code != sent[-1]:
            if sent:
                self.wrong_codes[username] = self.wrong_codes.get(username, 0) + 1
            raise InvalidRequest(WRONG_CODE, field="code")
        if not strong_enough(new_password):
            raise InvalidRequest(PASSWORD_TOO_WEAK, field="new_password", min_length=PASSWORD_POLICY.min_length)
        self.passwords[username] = new_password
        self.temporary.discard(username)
        sent.clear()  # a code is used once


@dataclass
class MemoryWebSessions:
    """Implements `WebSessions`; the store's lock orders its writes as DynamoDB orders an item's."""

    store: MemoryStore
    sessions: dict[str, WebSession] = field(default_factory=dict)

    def create(self, session: WebSession) -> None:
        with self.store.lock:
            if session.key in self.sessions:
                raise ConcurrentChange("a session with this key exists")
            self.sessions[session.key] = session.model_copy(deep=True)

    def get(self, key: str, now: datetime) -> WebSession | None:
        found = self.sessions.get(key)
        return found.model_copy(deep=True) if found is not None and found.is_live(now) else None

    def touch(self, session: WebSession) -> None:
        with self.store.lock:
            if session.key in self.sessions:
                self.sessions[session.key].idle_expires_at = session.idle_expires_at

    def set_language(self, key: str, language: Language) -> None:
        with self.store.lock:
            if key in self.sessions:
                self.sessions[key].language = language

    def set_acting_as(self, key: str, user_id: str | None) -> None:
        with self.store.lock:
            if key in self.sessions:
                self.sessions[key] = self.sessions[key].model_copy(update={"acting_as": user_id})

    def end(self, session: WebSession) -> None:
        with self.store.lock:
            self.sessions.pop(session.key, None)

    def end_all(self, user_id: str) -> None:
        with self.store.lock:
            for key in [key for key, session in self.sessions.items() if session.user_id == user_id]:
                del self.sessions[key]


@dataclass
class MemoryInvitations:
    """Implements `Invitations`."""

    invitations: dict[str, Invitation] = field(default_factory=dict)

    def add(self, transaction: Transaction, invitation: Invitation) -> None:
        staged(transaction).stage(
            lambda: self.invitations.__setitem__(invitation.key, invitation.model_copy(deep=True)),
            check=lambda: invitation.key not in self.invitations,
        )

    def get(self, key: str) -> Invitation | None:
        found = self.invitations.get(key)
        return found.model_copy(deep=True) if found else None

    def use(self, transaction: Transaction, invitation: Invitation) -> None:
        def unused() -> bool:
            stored = self.invitations.get(invitation.key)
            return stored is not None and stored.used_at is None

        staged(transaction).stage(
            lambda: self.invitations.__setitem__(invitation.key, invitation.model_copy(deep=True)), check=unused
        )


@dataclass
class MemoryAccounts:
    """Implements `Accounts` over the fake sign-in's accounts: a password set here signs in there."""

    sign_in: FakeSignIn
    groups: dict[str, set[str]] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)

    def create(self, person: Person) -> None:
        self.groups.setdefault(person.user_id, {role.value for role in person.roles})

    def update(self, person: Person) -> None:
        self.groups[person.user_id] = {role.value for role in person.roles}

    def set_password(self, user_id: str, password: str) -> None:
        self.sign_in.set_password(user_id, password)

    def remove(self, user_id: str) -> None:
        self.groups.pop(user_id, None)
        self.removed.append(user_id)
        self.sign_in.forget(user_id)
