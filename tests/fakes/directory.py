from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.directory.model import comparable_name
from chalicelib.directory.ports import Claims, Organisation, SavedInvoiceDetails, SignedIn
from chalicelib.directory.reasons import TOKEN_NOT_VALID, WRONG_PASSWORD
from chalicelib.shared.errors import NotSignedIn
from chalicelib.shared.identity import Person, Role
from chalicelib.shared.transactions import Transaction

from .store import staged


@dataclass
class MemoryDirectory:
    people_by_id: dict[str, Person] = field(default_factory=dict)
    organisations: dict[str, Organisation] = field(default_factory=dict)

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

    def people(self, org_id: str | None, role: Role | None = None) -> list[Person]:
        return [
            person.model_copy(deep=True)
            for person in sorted(self.people_by_id.values(), key=lambda person: person.user_id)
            if org_id and person.org_id == org_id and (role is None or person.has_role(role))
        ]

    def save_person(self, person: Person) -> None:
        self.people_by_id[person.user_id] = person.model_copy(deep=True)

    def save_organisation(self, organisation: Organisation) -> None:
        self.organisations[organisation.org_id] = organisation.model_copy(deep=True)

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


@dataclass
class FakeSignIn:
    """Implements `PasswordSignIn` over a table of passwords, issuing tokens `FakeTokens` accepts."""

    tokens: FakeTokens
    directory: MemoryDirectory
    passwords: dict[str, str] = field(default_factory=dict)

    def sign_in(self, username: str, password: str) -> SignedIn:
        person = self.directory.person(username)
        if person is None or self.passwords.get(username) != password:
            raise NotSignedIn(WRONG_PASSWORD)
        return SignedIn(id_token=self.tokens.issue(person.user_id, person.org_id), expires_in=3600)
