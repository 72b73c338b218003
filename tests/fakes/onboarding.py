"""Onboarding's stores in memory."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.onboarding.model import AgreementSigning, Application, ApplicationStatus, Signatory
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.transactions import Transaction

from .store import paged, staged


@dataclass
class MemoryApplications:
    """Implements `Applications`."""

    applications: dict[str, Application] = field(default_factory=dict)
    holders: dict[str, str] = field(default_factory=dict)

    def get(self, application_id: str) -> Application | None:
        found = self.applications.get(application_id)
        return found.model_copy(deep=True) if found else None

    def holder(self, org_number: str) -> str | None:
        return self.holders.get(org_number)

    def add(self, transaction: Transaction, application: Application) -> None:
        application = application.model_copy(deep=True)

        def write() -> None:
            self.applications[application.application_id] = application
            self.holders[application.org_number] = application.application_id

        staged(transaction).stage(
            write,
            check=lambda: (
                application.application_id not in self.applications and application.org_number not in self.holders
            ),
        )

    def decide(self, transaction: Transaction, application: Application) -> None:
        application = application.model_copy(deep=True)

        def pending() -> bool:
            stored = self.applications.get(application.application_id)
            return stored is not None and stored.is_pending

        def write() -> None:
            self.applications[application.application_id] = application
            if application.status is ApplicationStatus.REJECTED:
                self.holders.pop(application.org_number, None)

        staged(transaction).stage(write, check=pending)

    def pending(self, page: PageRequest) -> Page[Application]:
        waiting = [found for found in self.applications.values() if found.is_pending]
        return paged(waiting, lambda found: f"{found.submitted_at.isoformat()}#{found.application_id}", page).map(
            lambda found: found.model_copy(deep=True)
        )


@dataclass
class MemoryAgreementSignings:
    """Implements `AgreementSignings`."""

    signings: dict[str, AgreementSigning] = field(default_factory=dict)
    signatories: dict[str, Signatory] = field(default_factory=dict)

    def add(self, transaction: Transaction, signing: AgreementSigning) -> None:
        signing = signing.model_copy(deep=True)

        def write() -> None:
            self.signings[signing.key] = signing
            self.signatories[signing.org_id] = signing.signatory

        staged(transaction).stage(write, check=lambda: signing.key not in self.signings)

    def get(self, key: str) -> AgreementSigning | None:
        found = self.signings.get(key)
        return found.model_copy(deep=True) if found else None

    def sign(self, transaction: Transaction, signing: AgreementSigning) -> None:
        signing = signing.model_copy(deep=True)

        def unsigned() -> bool:
            stored = self.signings.get(signing.key)
            return stored is not None and stored.signed_at is None

        staged(transaction).stage(lambda: self.signings.__setitem__(signing.key, signing), check=unsigned)

    def signatory_of(self, org_id: str) -> Signatory | None:
        found = self.signatories.get(org_id)
        return found.model_copy(deep=True) if found else None
