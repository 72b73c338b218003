"""What the directory needs from the outside, and what it offers other contexts: people and organisations
by id, and the people of an organisation with a role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from chalicelib.directory.model import Organisation, OrganisationKind, SavedInvoiceDetails
from chalicelib.shared.identity import Person, Role
from chalicelib.shared.transactions import Transaction

__all__ = [
    "Claims",
    "Directory",
    "Organisation",
    "OrganisationKind",
    "PasswordSignIn",
    "SavedInvoiceDetails",
    "SignedIn",
    "TokenVerifier",
]


class Directory(Protocol):
    def person(self, user_id: str) -> Person | None: ...

    def organisation(self, org_id: str) -> Organisation | None: ...

    def organisations_named(self, name: str) -> list[Organisation]:
        """The organisations of this name, compared as `model.comparable_name` compares names."""

    def people(self, org_id: str | None, role: Role | None = None) -> list[Person]:
        """The people of an organisation, or only those with `role`; none for no organisation."""

    def save_person(self, person: Person) -> None: ...

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


class PasswordSignIn(Protocol):
    def sign_in(self, username: str, password: str) -> SignedIn:
        """Raises NotSignedIn for a wrong username or password."""
