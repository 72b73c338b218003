"""A decision step behind one opaque link (R-ORD-5, R-ORD-6): who may decide it, and whether it still can be."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field

from chalicelib.approvals.reasons import ALREADY_DECIDED, LINK_EXPIRED, SOMEONE_ELSE, SUPERSEDED, TOO_MANY_RESENDS
from chalicelib.shared.deferred import Model
from chalicelib.shared.errors import AlreadyDone, Expired, NotAllowed, TooManyAttempts

# How often an assignee may ask for a step's request mail again (R-ORD-6): enough for a lost or deleted mail,
# too few for a stuck button or a script to send mail by the hundred.
MAX_RESENDS_PER_ASSIGNEE = 3


class ApprovalStatus(StrEnum):
    OPEN = "open"
    DECIDED = "decided"
    SUPERSEDED = "superseded"


class Outcome(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class SubjectRef(Model):
    """What is decided: a step of a subject of some kind (an order's `agent_approval`, say)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    subject_id: str
    step: str


class Approval(Model):
    model_config = ConfigDict(extra="forbid")

    key: str
    link_seed: str
    subject: SubjectRef
    assignees: list[str]
    needs_signature: bool
    # A step no workflow waits for (a customer application) has no task token, and its decision answers none.
    answers_workflow: bool = True
    signing_description: str = ""  # what signing means, to end "…your code to …" (a message id)
    signing_params: dict[str, str] = Field(default_factory=dict)  # its parameters
    status: ApprovalStatus = ApprovalStatus.OPEN
    created_at: datetime
    expires_at: datetime
    decided_by: str | None = None
    outcome: Outcome | None = None

    def require_assignee(self, user_id: str) -> None:
        if user_id not in self.assignees:  # R-ORD-5
            raise NotAllowed(SOMEONE_ELSE)

    def require_open(self, now: datetime) -> None:
        if self.status is ApprovalStatus.SUPERSEDED:
            raise Expired(SUPERSEDED)
        if self.status is ApprovalStatus.DECIDED:
            raise AlreadyDone(ALREADY_DECIDED)
        if now >= self.expires_at:
            raise Expired(LINK_EXPIRED)

    def state(self, now: datetime, subject_closed: bool) -> str:
        """What the assignee is shown: open, decided, or expired (replaced, out of time, or the subject ended)."""
        if self.status is ApprovalStatus.DECIDED:
            return "decided"
        if self.status is ApprovalStatus.SUPERSEDED or now >= self.expires_at or subject_closed:
            return "expired"
        return "open"

    def decide(self, user_id: str, outcome: Outcome) -> None:
        self.status = ApprovalStatus.DECIDED
        self.decided_by = user_id
        self.outcome = outcome


def resends_left(resends: int) -> int:
    """How many more times an assignee whose request mail was sent again `resends` times may ask for it."""
    return max(0, MAX_RESENDS_PER_ASSIGNEE - resends)


def require_resend_allowed(resends: int) -> None:
    if resends >= MAX_RESENDS_PER_ASSIGNEE:
        raise TooManyAttempts(TOO_MANY_RESENDS, limit=MAX_RESENDS_PER_ASSIGNEE)


class PendingStep(Model):
    """One line of an assignee's list of steps waiting for them (R-ORD-6). `summary` is what the subject
    shows of itself there (an order's number, customer and offering)."""

    model_config = ConfigDict(extra="forbid")

    user_id: str
    subject: SubjectRef
    since: datetime
    summary: dict[str, str]
