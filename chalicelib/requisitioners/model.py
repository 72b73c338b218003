"""A requisitioner's orderer, and an order that waits for its orderer's approval (R-REQ-1…7)."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import datetime

from pydantic import ConfigDict, Field

from chalicelib.shared.deferred import Model


def comparable_email(email: str) -> str:
    """An e-mail address as it is compared: "Olle@Example.ORG " and "olle@example.org" are one address."""
    return unicodedata.normalize("NFC", email).strip().casefold()


def email_key(email: str) -> str:
    """An e-mail address in a key that must name no one (a mail's idempotency key): its hash."""
    return hashlib.sha256(comparable_email(email).encode()).hexdigest()[:40]


class Orderer(Model):
    """An orderer of a requisitioner; the directory holds the person (name, e-mail) and their account."""

    model_config = ConfigDict(extra="forbid")

    user_id: str
    requisitioner_org_id: str
    approved: bool  # R-REQ-3: a self-registered orderer's orders wait until the requisitioner approves
    self_registered: bool  # R-REQ-6: only an orderer the requisitioner created may share its e-mail
    created_at: datetime
    approved_at: datetime | None = None
    approved_by: str | None = None

    def approve(self, approver_id: str, now: datetime) -> Orderer | None:
        """The orderer approved (R-REQ-3, R-REQ-7); None when it already was."""
        if self.approved:
            return None
        return self.model_copy(update={"approved": True, "approved_at": now, "approved_by": approver_id})


def awaits_approval(orderer: Orderer | None) -> bool:
    """R-REQ-3: whether a person's orders wait for their requisitioner's approval; someone who is no
    requisitioner's orderer (`None`) never waits."""
    return orderer is not None and not orderer.approved


class WaitingOrder(Model):
    """An order held before its case until its orderer is approved (R-REQ-3): the workflow's task token waits
    here. `released_at` is set once the requisitioner approved, before the workflow is told."""

    model_config = ConfigDict(extra="forbid")

    order_id: str
    orderer_id: str
    task_token: str = Field(repr=False)
    since: datetime
    expires_at: datetime
    released_at: datetime | None = None


class RequisitionerEntry(Model):
    """A requisitioner as the self-registration form lists it (R-REQ-3)."""

    model_config = ConfigDict(extra="forbid")

    org_id: str
    name: str
