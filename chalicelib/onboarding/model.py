"""Customer applications (DOMAIN.md Flow 1) and the links a signatory signs the customer agreement with (R-ONB-1)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import ConfigDict

from chalicelib.onboarding.reasons import SIGNING_LINK_EXPIRED, SIGNING_LINK_USED
from chalicelib.shared.deferred import Model
from chalicelib.shared.errors import AlreadyDone, Expired
from chalicelib.shared.identity import Person, Role
from chalicelib.shared.languages import Language

# A signatory may not read the mail at once; a month, then the administrator sends a new link.
SIGNING_LIFETIME = timedelta(days=30)
# How long the provider has to decide an application; the approval step's own expiry.
DECISION_TIME = timedelta(days=90)


class ApplicationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Contact(Model):
    model_config = ConfigDict(extra="forbid")

    name: str
    email: str


class Signatory(Contact):
    phone: str  # E.164: the one-time code of the signature goes there


def application_id_for(key: str) -> str:
    """The application's id, from the key of the submission: a double submit names the same application."""
    return "app-" + hashlib.sha256(f"application:{key}".encode()).hexdigest()[:24]


class Application(Model):
    """A customer application (kundansökan): the organisation and its three contacts (Flow 1 step 1)."""

    model_config = ConfigDict(extra="forbid")

    application_id: str
    organisation_name: str
    org_number: str  # compact, ten digits
    administrator: Contact
    signatory: Signatory
    agreement_contact: Contact
    language: Language = Language.SV
    status: ApplicationStatus = ApplicationStatus.PENDING
    submitted_at: datetime
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None

    @property
    def org_id(self) -> str:
        """The organisation an approval creates: one per organisation number."""
        return f"org-{self.org_number}"

    @property
    def is_pending(self) -> bool:
        return self.status is ApplicationStatus.PENDING

    def decided(self, approve: bool, by: str, reason: str | None, now: datetime) -> Application:
        status = ApplicationStatus.APPROVED if approve else ApplicationStatus.REJECTED
        return self.model_copy(update={"status": status, "decided_by": by, "reason": reason, "decided_at": now})

    def administrator_person(self) -> Person:
        """The administrator's account (Flow 1 step 3): portal credentials, role Administrator (R-ONB-3)."""
        return Person(
            user_id=f"{self.org_number}.admin",
            org_id=self.org_id,
            name=self.administrator.name,
            email=self.administrator.email,
            roles=[Role.ADMINISTRATOR],
            language=self.language,
        )

    def agreement_contact_person(self) -> Person | None:
        """The agreement contact's account, to read the agreement; none when it is the administrator's address."""
        if self.agreement_contact.email.casefold() == self.administrator.email.casefold():
            return None
        return Person(
            user_id=f"{self.org_number}.agreement",
            org_id=self.org_id,
            name=self.agreement_contact.name,
            email=self.agreement_contact.email,
            language=self.language,
        )


def signatory_person(org_id: str, signatory: Signatory, language: Language = Language.SV) -> Person:
    """The signatory as the `Signer` sees them: no account, only a name, an address and a phone."""
    return Person(
        user_id=f"{org_id}.signatory",
        org_id=org_id,
        name=signatory.name,
        email=signatory.email,
        phone=signatory.phone,
        language=language,
    )


class AgreementSigning(Model):
    """An e-mailed link for the signatory to sign the current customer agreement, made like an approval link
    (`shared/links.py`): the table keeps its seed and its hash, never the link. Used once."""

    model_config = ConfigDict(extra="forbid")

    key: str  # the link's hash
    seed: str
    org_id: str
    organisation_name: str
    signatory: Signatory
    language: Language = Language.SV
    created_at: datetime
    expires_at: datetime
    signed_at: datetime | None = None
    signed_version: int | None = None

    def require_usable(self, now: datetime) -> None:
        if self.signed_at is not None:
            raise AlreadyDone(SIGNING_LINK_USED)
        if now >= self.expires_at:
            raise Expired(SIGNING_LINK_EXPIRED)

    def signer(self) -> Person:
        return signatory_person(self.org_id, self.signatory, self.language)
