"""What the directory needs from the outside, and what it offers other contexts: people and organisations
by id, and the people of an organisation with a role."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from chalicelib.directory.model import (
    Invitation,
    Organisation,
    OrganisationKind,
    RemovedPerson,
    SavedInvoiceDetails,
    WebSession,
)
from chalicelib.shared.identity import Person, Role
from chalicelib.shared.languages import Language
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.transactions import Transaction

__all__ = [
    "Accounts",
    "Claims",
    "Directory",
    "Invitation",
    "Invitations",
    "Language",
    "NewPasswordRequired",
    "Organisation",
    "OrganisationKind",
    "PasswordSignIn",
    "RemovedPerson",
    "SavedInvoiceDetails",
    "SignedIn",
    "TokenVerifier",
    "WebSession",
    "WebSessions",
]


class Directory(Protocol):
    def person(self, user_id: str) -> Person | None: ...

    def organisation(self, org_id: str) -> Organisation | None: ...

    def organisations_named(self, name: str) -> list[Organisation]:
        """The organisations of this name, compared as `model.comparable_name` compares names."""

    def organisation_numbered(self, org_number: str) -> Organisation | None:
        """The organisation with this (compact) organisation number, if any."""

    def record_signed_agreement(self, transaction: Transaction, org_id: str, version: int) -> None:
        """Stages that the organisation signed the agreement of `version` (R-ONB-1); refused if it is gone."""

    def people(self, org_id: str | None, role: Role | None = None) -> list[Person]:
        """The people of an organisation, or only those with `role`; none for no organisation."""

    def save_person(self, person: Person) -> None: ...

    # An organisation's people as its administrator manages them (R-ONB-3). Every change of them is staged with
    # the organisation's roster version read before the change, and refused at commit if another changed them
    # since: a rule over all of them (an administrator is left) holds for what is written.

    def people_page(self, org_id: str, page: PageRequest) -> Page[Person]:
        """The organisation's people by name, a page at a time."""

    def person_with_email(self, email: str) -> Person | None:
        """Whoever has this address, compared as `model.comparable_email` compares them."""

    def email_holder(self, email: str) -> str | None:
        """The id of whoever holds this address in the directory's one registry of addresses (R-ONB-3, R-REQ-6),
        even if their profile is not written yet."""

    def claim_email(self, transaction: Transaction, email: str, user_id: str) -> None:
        """Stages `email` as `user_id`'s, refused at commit if someone else holds it."""

    def release_email(self, transaction: Transaction, email: str, user_id: str) -> None:
        """Stages the address as no longer `user_id`'s (nothing if it is someone else's)."""

    def roster(self, org_id: str) -> int:
        """The version of the organisation's people: 0 before any change through `add_person` and the others."""

    def add_person(self, transaction: Transaction, person: Person, roster: int) -> None:
        """Stages a new person; refused at commit if their id or their address is someone's already."""

    def change_person(self, transaction: Transaction, before: Person, after: Person, roster: int) -> None:
        """Stages the person as `after`; refused at commit if their new address is someone else's."""

    def remove_person(self, transaction: Transaction, person: Person, removal: RemovedPerson, roster: int) -> None:
        """Stages the person's removal: their profile and address go, the removal record stays."""

    def removed(self, user_id: str) -> RemovedPerson | None: ...

    def set_serving(self, transaction: Transaction, before: Organisation, after: Organisation) -> None:
        """Stages the customers and source systems an agent serves as `after`'s, refused at commit if they changed
        since `before` was read."""

    def save_organisation(self, organisation: Organisation) -> None: ...

    def add_invoice_details(
        self, transaction: Transaction, organisation: Organisation, details: SavedInvoiceDetails
    ) -> None:
        """Stages `details` as one more of the organisation's saved invoice details, refused at commit if its
        saved details changed since `organisation` was read (so a rule over them, such as their number or no
        address saved twice, holds for what is written)."""


@dataclass(frozen=True)
class Claims:
    """What a verified sign-in token says: who, and of which organisation."""

    user_id: str
    org_id: str


class TokenVerifier(Protocol):
    def verify(self, token: str) -> Claims:
        """Raises NotSignedIn unless the token is genuine, current and meant for this app."""


@dataclass(frozen=True)
class SignedIn:
    id_token: str
    expires_in: int


@dataclass(frozen=True)
class NewPasswordRequired:
    """The first sign-in of an account an administrator created: the person must choose a new password, and
    answers with `username` and Cognito's opaque `challenge_session` (short-lived, secret: never logged)."""

    username: str
    challenge_session: str = field(repr=False)


class PasswordSignIn(Protocol):
    def sign_in(self, username: str, password: str) -> SignedIn:
        """Raises NotSignedIn for a wrong username or password."""

    def authenticate(self, username: str, password: str) -> Claims | NewPasswordRequired:
        """Who signed in (from their verified ID token), or the new password they must choose first. Raises
        NotSignedIn for a wrong password or an unknown username alike, TooManyAttempts when sign-in is held off."""

    def complete_new_password(self, username: str, challenge_session: str, new_password: str) -> Claims:
        """Answers NEW_PASSWORD_REQUIRED. Raises InvalidRequest for a password not strong enough, NotSignedIn
        when the challenge has run out (sign in again)."""

    def forgot_password(self, username: str) -> None:
        """Sends a code to reset the password with; answers the same whether or not the account exists."""

    def confirm_forgot_password(self, username: str, code: str, new_password: str) -> None:
        """Sets a new password with the code sent. Raises InvalidRequest for a wrong or expired code (or an
        unknown username, the same) and for a password not strong enough, TooManyAttempts after many tries."""


class WebSessions(Protocol):
    """The portal's sessions, by key (the cookie value's SHA-256, `model.session_key`), and by person."""

    def create(self, session: WebSession) -> None: ...

    def get(self, key: str, now: datetime) -> WebSession | None:
        """None when there is none or it has expired by `now` (stored ones too: TTL deletes late)."""

    def touch(self, session: WebSession) -> None:
        """Writes the session's idle expiry; a session ended meanwhile stays ended."""

    def set_language(self, key: str, language: Language) -> None:
        """A session ended meanwhile stays ended."""

    def set_acting_as(self, key: str, user_id: str | None) -> None:
        """R-REQ-5: the orderer the session acts as from now on (None: its own person again). A session ended
        meanwhile stays ended."""

    def end(self, session: WebSession) -> None: ...

    def end_all(self, user_id: str) -> None:
        """Ends every session of the person, without a scan."""


class Accounts(Protocol):
    """The sign-in accounts behind the directory's people (Cognito), kept in step with them through admin calls
    scoped to the stage's user pool. The directory, not the account, is the authority on roles (docs/decisions.md);
    the account's groups mirror them."""

    def create(self, person: Person) -> None:
        """An account for the person, with no password anyone knows: they choose one through an invitation.
        Creating one that exists already changes nothing (a retried request)."""

    def update(self, person: Person) -> None:
        """The account's e-mail, organisation and groups as the person's now."""

    def set_password(self, user_id: str, password: str) -> None:
        """Raises InvalidRequest (naming `new_password`) for a password the pool's policy refuses."""

    def remove(self, user_id: str) -> None:
        """Signs the account out everywhere and deletes it. Removing one that is gone changes nothing."""


class Invitations(Protocol):
    def add(self, transaction: Transaction, invitation: Invitation) -> None: ...

    def get(self, key: str) -> Invitation | None: ...

    def use(self, transaction: Transaction, invitation: Invitation) -> None:
        """Marks it used (`used_at`), on the condition that it was not used meanwhile."""
