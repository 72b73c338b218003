"""Who acts: the roles of DOMAIN.md, a person as every context may read them, and the actor of a request."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import ConfigDict, Field

from chalicelib.shared.deferred import Model
from chalicelib.shared.languages import Language


class Role(StrEnum):
    """The roles of DOMAIN.md. Cognito's groups mirror them (infra creates one group per role)."""

    ADMINISTRATOR = "Administrator"
    ORDERER = "Orderer"
    ATTESTER = "Attester"
    AGENT_CASE_HANDLER = "AgentCaseHandler"
    CUSTOMER_SERVICE = "CustomerService"
    OPERATIONS = "Operations"
    REQUISITIONER = "Requisitioner"
    PRACTITIONER = "Practitioner"


ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.ADMINISTRATOR: "manages the organisation's users and roles",
    Role.ORDERER: "submits orders",
    Role.ATTESTER: "approves and attests orders",
    Role.AGENT_CASE_HANDLER: "handles cases at the agent",
    Role.CUSTOMER_SERVICE: "customer service operators",
    Role.OPERATIONS: "the provider's operations: orders that need attention or have waited too long",
    Role.REQUISITIONER: "a requisitioner's account: manages its orderers, orders only by switching to one (R-REQ-5)",
    Role.PRACTITIONER: "a practitioner of a practice: their calendar, clients and insurance series (R-BKG-5)",
}


class Person(Model):
    """A person of an organisation, as the directory holds them."""

    model_config = ConfigDict(extra="forbid")

    user_id: str
    org_id: str
    name: str
    email: str
    phone: str | None = None
    roles: list[Role] = Field(default_factory=list)
    language: Language = Language.SV  # what their mail is written in, and their pages before they choose

    def has_role(self, role: Role) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class Actor:
    """Who does what. `signed_in` holds the session; `acting_as` is the orderer a requisitioner switched to
    (R-REQ-5), whose name the rules and the history then see."""

    signed_in: Person
    acting_as: Person | None = None

    @property
    def person(self) -> Person:
        """The person the rules check and the history records."""
        return self.acting_as or self.signed_in
