"""Decision steps: opening one for its assignees, showing it, signing it, deciding it (R-ORD-4…6)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from chalicelib.approvals.commands import Decide
from chalicelib.approvals.model import Approval, ApprovalStatus, Outcome, SubjectRef, approval_key, new_approval_id
from chalicelib.approvals.ports import Approvals, Decision, Subject, TaskAnswers, TaskClosed
from chalicelib.approvals.reasons import ALREADY_DECIDED, LINK_NOT_VALID, NEEDS_NO_SIGNATURE, UNKNOWN_SUBJECT
from chalicelib.notifications.ports import Notification, Notifier, Recipient
from chalicelib.shared.errors import AlreadyDone, InvalidRequest, NotFound
from chalicelib.shared.identity import Actor
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.time import Clock
from chalicelib.shared.transactions import ConcurrentChange, Transactions
from chalicelib.signing.ports import Signer, SigningRequest


class DecisionService:
    def __init__(
        self,
        approvals: Approvals,
        subjects: Mapping[str, Subject],
        signer: Signer,
        task_answers: TaskAnswers,
        notifier: Notifier,
        transactions: Transactions,
        clock: Clock,
        base_url: str,
    ) -> None:
        self._approvals = approvals
        self._subjects = subjects
        self._signer = signer
        self._task_answers = task_answers
        self._notifier = notifier
        self._transactions = transactions
        self._clock = clock
        self._base_url = base_url

    def _subject(self, ref: SubjectRef) -> Subject:
        subject = self._subjects.get(ref.kind)
        if subject is None:
            raise InvalidRequest(UNKNOWN_SUBJECT, kind=ref.kind)
        return subject

    # --- opened by the workflow ----------------------------------------------------------------

    def open(self, ref: SubjectRef, task_token: str, timeout_seconds: int) -> Approval:
        """Stores the task token under a fresh opaque id and tells the assignees (R-ORD-5, R-ORD-6).

        A retried task finds its step already open: the earlier link is superseded, so exactly one
        link per step works, and the subject decides whether that shows as a second opening.
        """
        now = self._clock()
        transaction = self._transactions.begin()
        opened = self._subject(ref).open(transaction, ref, now)
        approval_id = new_approval_id()
        approval = Approval(
            key=approval_key(approval_id),
            subject=ref,
            assignees=[person.user_id for person in opened.assignees],
            needs_signature=opened.needs_signature,
            signing_description=opened.signing_description,
            created_at=now,
            expires_at=now + timedelta(seconds=timeout_seconds),
        )
        previous = self._approvals.current(ref)
        if previous is not None and previous.status is ApprovalStatus.OPEN:
            self._approvals.supersede(transaction, previous)
        self._approvals.add(transaction, approval, task_token, opened.summary)
        transaction.commit()

        context = {
            **opened.request_context,
            "link": f"{self._base_url}/approvals/{approval_id}",
            "expires_at": approval.expires_at.isoformat(),
        }
        for person in opened.assignees:
            self._notifier.notify(
                Notification(
                    template=opened.request_template,
                    recipients=(Recipient(person.email, person.name),),
                    context={**context, "person": person.model_dump(mode="json")},
                )
            )
        return approval

    # --- used by people --------------------------------------------------------------------------

    def _approval_for(self, approval_id: str, actor: Actor) -> Approval:
        approval = self._approvals.get(approval_key(approval_id))
        if approval is None:
            raise NotFound(LINK_NOT_VALID)
        approval.require_assignee(actor.person.user_id)  # R-ORD-5
        return approval

    def view(self, approval_id: str, actor: Actor) -> dict[str, Any]:
        """What the assignee sees behind the link. Reads only: mail scanners open links."""
        approval = self._approval_for(approval_id, actor)
        shown = self._subject(approval.subject).view(approval.subject, actor)
        return {
            "step": approval.subject.step,
            "state": approval.state(self._clock(), shown.closed),
            "outcome": approval.outcome,
            "expires_at": approval.expires_at.isoformat(),
            "needs_one_time_code": approval.needs_signature,
            **shown.details,
        }

    def _signing(self, approval: Approval, actor: Actor) -> SigningRequest:
        return SigningRequest(purpose=approval.key, signer=actor.person, description=approval.signing_description)

    def send_code(self, approval_id: str, actor: Actor) -> dict[str, str]:
        """R-ORD-4: the signature starts at the moment of deciding (a fresh code by SMS)."""
        approval = self._approval_for(approval_id, actor)
        approval.require_open(self._clock())
        if not approval.needs_signature:
            raise InvalidRequest(NEEDS_NO_SIGNATURE)
        return self._signer.start(self._signing(approval, actor))

    def decide(
        self, approval_id: str, actor: Actor, command: Decide, details: BaseModel | None = None
    ) -> dict[str, Any]:
        approval = self._approval_for(approval_id, actor)
        if (
            approval.status is ApprovalStatus.DECIDED
            and not approval.delivered
            and approval.decided_by == actor.person.user_id
        ):
            return self._deliver(approval)  # the decision was stored but never reached the workflow
        now = self._clock()
        approval.require_open(now)

        transaction = self._transactions.begin()
        signature = None
        if approval.needs_signature:
            signature = self._signer.verify(transaction, self._signing(approval, actor), command.one_time_code)
        outcome = Outcome.APPROVED if command.decision == "approve" else Outcome.REJECTED
        decision = Decision(outcome=outcome, reason=command.reason, details=details)
        self._subject(approval.subject).decide(transaction, approval.subject, actor, decision, signature, now)
        approval.decide(actor.person.user_id, outcome)
        self._approvals.decide(transaction, approval)  # single use: only one decision wins
        try:
            transaction.commit()
        except ConcurrentChange as error:
            raise AlreadyDone(ALREADY_DECIDED) from error
        return self._deliver(approval)

    def _deliver(self, approval: Approval) -> dict[str, Any]:
        assert approval.outcome is not None
        token = self._approvals.task_token(approval.key)
        ref = approval.subject
        # TaskClosed: the step timed out meanwhile; the workflow's own outcome stands in the history.
        with suppress(TaskClosed):
            self._task_answers.deliver(token, {"outcome": approval.outcome.value, "step": ref.step})
        self._approvals.mark_delivered(approval.key)
        return {
            "step": ref.step,
            "outcome": approval.outcome.value,
            "kind": ref.kind,
            "subject_id": ref.subject_id,
            f"{ref.kind}_id": ref.subject_id,  # e.g. order_id, as the subject's own API names it
        }

    def pending(self, actor: Actor, page: PageRequest) -> Page[dict[str, Any]]:
        """R-ORD-6: every step waiting for this person, the newest first."""
        return self._approvals.pending_for(actor.person.user_id, page).map(
            lambda line: {
                **line.summary,
                "kind": line.subject.kind,
                "step": line.subject.step,
                "user_id": line.user_id,
                "since": line.since.isoformat(),
            }
        )
