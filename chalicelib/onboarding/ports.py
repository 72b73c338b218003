"""What onboarding needs: stores for applications and signing links, and the directory's and approvals' services
it opens accounts and decision steps through (implemented inside: `AccountService`, `DecisionService`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from chalicelib.approvals.ports import SubjectRef
from chalicelib.onboarding.model import AgreementSigning, Application, Signatory
from chalicelib.shared.identity import Person
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.transactions import Transaction


class Applications(Protocol):
    def get(self, application_id: str) -> Application | None: ...

    def holder(self, org_number: str) -> str | None:
        """The application that holds this organisation number: pending, or approved (then it is a customer)."""

    def add(self, transaction: Transaction, application: Application) -> None:
        """Stages the application and its hold on the organisation number; refused at commit if either exists."""

    def decide(self, transaction: Transaction, application: Application) -> None:
        """Stages the decided application, if it was still pending; a rejection lets the number go."""

    def pending(self, page: PageRequest) -> Page[Application]:
        """The applications waiting for the provider, the newest first."""


class AgreementSignings(Protocol):
    def add(self, transaction: Transaction, signing: AgreementSigning) -> None:
        """Stages the signing link, and its signatory as the organisation's; refused if the link exists."""

    def get(self, key: str) -> AgreementSigning | None: ...

    def sign(self, transaction: Transaction, signing: AgreementSigning) -> None:
        """Stages it signed, on the condition that it was not signed meanwhile (single use)."""

    def signatory_of(self, org_id: str) -> Signatory | None:
        """The signatory the organisation's latest signing link was sent to."""


class AccountOpener(Protocol):
    def open_account(self, person: Person, about: Mapping[str, str], template: str = "invitation") -> None:
        """The person, their account and one invitation to choose a password; asked again, nothing twice."""


class StepOpener(Protocol):
    def open(self, ref: SubjectRef, task_token: str | None, timeout_seconds: int) -> Any:
        """Opens a decision step for the subject's assignees (once)."""
