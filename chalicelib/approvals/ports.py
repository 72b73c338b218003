"""What a decision step needs: the subject it decides on, a store for its links, and the workflow waiting
for the answer. Subjects (an order's steps) implement `Subject`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel

from chalicelib.approvals.model import Approval, Outcome, PendingStep, SubjectRef
from chalicelib.shared.identity import Actor, Person
from chalicelib.shared.links import LinkSecret
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.transactions import Transaction
from chalicelib.signing.ports import Signature

__all__ = [
    "Approvals",
    "Decision",
    "LinkSecret",
    "OpenedStep",
    "Outcome",
    "PendingStep",
    "StepRequest",
    "Subject",
    "SubjectRef",
    "SubjectView",
    "TaskAnswers",
    "TaskClosed",
]


@dataclass(frozen=True)
class OpenedStep:
    """What the subject says when a step of it opens: who decides, whether deciding is a signature (and what it
    signs, to end "…your code to …"), what the assignees' lists show, and the mail that asks them (its context
    gets `person`, `link` and `expires_at`)."""

    assignees: list[Person]
    needs_signature: bool
    signing_description: str
    summary: dict[str, str]
    request_template: str  # empty: the assignees find the step in their lists, and no mail asks them
    request_context: dict[str, Any] = field(default_factory=dict)
    signing_params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StepRequest:
    """The mail that asks an assignee to decide a step, as the subject stands now: its template and context (which
    gets `person`, `link` and `expires_at`), as in `OpenedStep`."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SubjectView:
    details: dict[str, Any]
    closed: bool


@dataclass(frozen=True)
class Decision:
    """An assignee's decision. `details` is what the subject asks for beside it (the agent's review)."""

    outcome: Outcome
    reason: str | None
    details: BaseModel | None = None


class Subject(Protocol):
    """A kind of thing decided step by step."""

    kind: str

    def open(self, transaction: Transaction, ref: SubjectRef, now: datetime) -> OpenedStep:
        """Stages the subject's own change for the step opening, and says who decides it."""

    def view(self, ref: SubjectRef, actor: Actor) -> SubjectView: ...

    def request(self, ref: SubjectRef) -> StepRequest:
        """The mail that asks for this step's decision, to send it again to an assignee who asks for it."""

    def is_closed(self, ref: SubjectRef) -> bool:
        """The subject no longer waits for this step (an order that timed out, say)."""

    def decide(
        self,
        transaction: Transaction,
        ref: SubjectRef,
        actor: Actor,
        decision: Decision,
        signature: Signature | None,
        now: datetime,
    ) -> None:
        """Checks the decision against the subject's rules and stages its change."""


class Approvals(Protocol):
    def get(self, key: str) -> Approval | None: ...

    def current(self, subject: SubjectRef) -> Approval | None:
        """The latest approval opened for this step of the subject."""

    def add(
        self, transaction: Transaction, approval: Approval, task_token: str | None, summary: dict[str, str]
    ) -> None:
        """Stages the approval, its task token (kept apart from it; none for a step no workflow waits for), the
        step's pointer to it, and one pending line per assignee."""

    def attach_token(self, transaction: Transaction, approval: Approval, task_token: str) -> None:
        """Stages `task_token` as the one the approval answers, if the approval's status is still the one
        read: a retried task waits under a new token, and the mailed link keeps working."""

    def decide(self, transaction: Transaction, approval: Approval) -> None:
        """Stages the decided approval, if it is still open (single use), and removes its pending lines."""

    def resends(self, key: str, user_id: str) -> int:
        """How often the approval's request mail was sent again to this assignee (0 before the first time)."""

    def add_resend(self, transaction: Transaction, approval: Approval, user_id: str, resends: int) -> None:
        """Stages one more resend of the request mail to `user_id`, if the approval is still open and the count is
        still `resends`, the one read: of two requests at once, one is counted and the other looks again."""

    def task_token(self, key: str) -> str: ...

    def pending_for(self, user_id: str, page: PageRequest) -> Page[PendingStep]:
        """The newest opened first."""


class TaskClosed(Exception):
    """The workflow no longer waits for this task (it timed out or was already answered)."""


class TaskAnswers(Protocol):
    """The workflow waiting for a step's answer."""

    def answer(self, task_token: str, output: dict[str, Any]) -> None:
        """Hands the workflow its answer; raises TaskClosed if nothing waits for it any more."""
