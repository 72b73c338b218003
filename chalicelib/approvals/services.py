"""Decision steps: opening one for its assignees, showing it, signing it, deciding it (R-ORD-4…6).

The workflow hears a decision through the outbox: the decision, the subject's change and the answer to the
waiting task are one transaction, so a stored decision always reaches the workflow, however often the
delivery has to be tried.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from chalicelib.approvals.commands import Decide
from chalicelib.approvals.links import approval_id, approval_key
from chalicelib.approvals.model import (
    Approval,
    ApprovalStatus,
    Outcome,
    SubjectRef,
    require_resend_allowed,
    resends_left,
)
from chalicelib.approvals.ports import Approvals, Decision, LinkSecret, Subject, TaskAnswers, TaskClosed
from chalicelib.approvals.reasons import (
    LINK_EXPIRED,
    LINK_NOT_VALID,
    NEEDS_NO_SIGNATURE,
    NO_SUCH_STEP,
    UNKNOWN_SUBJECT,
)
from chalicelib.notifications.ports import MailDeliverer, Outbox, OutboxMessage
from chalicelib.shared.errors import DomainError, Expired, InProgress, InvalidRequest, NotFound, Reason
from chalicelib.shared.identity import Actor, Person
from chalicelib.shared.links import new_link_seed
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.time import Clock
from chalicelib.shared.transactions import ConcurrentChange, Transaction, Transactions
from chalicelib.signing.ports import Signer, SigningRequest

ANSWER_TASK = "workflow.answer"
REQUEST_DECISION = "approval.request"
CHANGED_MEANWHILE = Reason("approvals.changed_meanwhile", "The step changed while you decided; open it again.")


class DecisionService:
    def __init__(
        self,
        approvals: Approvals,
        subjects: Mapping[str, Subject],
        signer: Signer,
        task_answers: TaskAnswers,
        outbox: Outbox,
        mail: MailDeliverer,
        link_secret: LinkSecret,
        transactions: Transactions,
        clock: Clock,
        base_url: str,
    ) -> None:
        self._approvals = approvals
        self._subjects = subjects
        self._signer = signer
        self._task_answers = task_answers
        self._outbox = outbox
        self._mail = mail
        self._link_secret = link_secret
        self._transactions = transactions
        self._clock = clock
        self._base_url = base_url

    def _subject(self, ref: SubjectRef) -> Subject:
        subject = self._subjects.get(ref.kind)
        if subject is None:
            raise InvalidRequest(UNKNOWN_SUBJECT, kind=ref.kind)
        return subject

    # --- opened by the workflow ----------------------------------------------------------------

    def open(self, ref: SubjectRef, task_token: str | None, timeout_seconds: int) -> Approval:
        """Stores the task token under a fresh opaque id and tells the assignees (R-ORD-5, R-ORD-6).

        A step opens once (R-ORD-2). Opened again, it is the workflow retrying its task: the step keeps its link
        and its mail. A retry may wait under the token it had (nothing to change: an answer reaches it through
        the outbox) or under a new one, which the step then answers, at once if it was already decided.

        Without a task token, no workflow waits: the step is a subject's own (a customer application), its
        decision answers nobody, and opening it again changes nothing.
        """
        for _ in range(3):
            previous = self._approvals.current(ref)
            if previous is not None and task_token is None:
                return previous  # opened already, and no workflow waits to be told
            if previous is not None and self._approvals.task_token(previous.key) == task_token:
                return previous
            transaction = self._transactions.begin()
            if previous is None or task_token is None:
                approval = self._first_opening(transaction, ref, task_token, timeout_seconds)
            else:
                approval = previous
                self._approvals.attach_token(transaction, previous, task_token)
                if previous.status is ApprovalStatus.DECIDED:
                    self._answer(transaction, previous, attempt=task_token)
            try:
                transaction.commit()
            except ConcurrentChange:
                continue  # decided or opened meanwhile: look again
            return approval
        raise ConcurrentChange(f"{ref.kind} {ref.subject_id} {ref.step} kept changing")

    def _first_opening(
        self, transaction: Transaction, ref: SubjectRef, task_token: str | None, timeout: int
    ) -> Approval:
        now = self._clock()
        opened = self._subject(ref).open(transaction, ref, now)
        seed = new_link_seed()
        approval = Approval(
            key=approval_key(approval_id(self._link_secret.value(), seed)),
            link_seed=seed,
            subject=ref,
            assignees=[person.user_id for person in opened.assignees],
            needs_signature=opened.needs_signature,
            answers_workflow=task_token is not None,
            signing_description=opened.signing_description,
            signing_params=dict(opened.signing_params),
            created_at=now,
            expires_at=now + timedelta(seconds=timeout),
        )
        self._approvals.add(transaction, approval, task_token, opened.summary)
        for person in opened.assignees if opened.request_template else []:
            message = self._request_message(approval, person, opened.request_template, opened.request_context)
            self._outbox.stage(transaction, message)
        return approval

    def _request_message(
        self, approval: Approval, person: Person, template: str, context: dict[str, Any], resend: int = 0
    ) -> OutboxMessage:
        """The mail that asks `person` to decide (the `resend`-th time again, if not the first). The link is made
        when the mail is sent: the outbox holds its seed, never the link, so every mail of the step carries the
        same link. Each resend has a key of its own: the outbox keeps each key once."""
        key = f"approval:{approval.key}:request:{person.user_id}"
        return OutboxMessage(
            key=f"{key}:again:{resend}" if resend else key,
            kind=REQUEST_DECISION,
            payload={
                "seed": approval.link_seed,
                "template": template,
                "to": person.email,
                "language": person.language.value,
                "context": {
                    **context,
                    # What the mails show of the person asked (templates/mail), not their whole directory entry.
                    "person": {"user_id": person.user_id, "name": person.name},
                    "expires_at": approval.expires_at.isoformat(),
                },
            },
            correlation_id=approval.subject.subject_id,
        )

    def deliver_request(self, payload: dict[str, Any]) -> None:
        """Delivers a request from the outbox: the mail, with the link made now from its seed."""
        link = f"{self._base_url}/approvals/{approval_id(self._link_secret.value(), payload['seed'])}"
        self._mail.deliver({**payload, "context": {**payload["context"], "link": link}})

    def _answer(self, transaction: Transaction, approval: Approval, attempt: str = "decision") -> None:
        """Stages the decision's answer to the task waiting for it; the token is read when it is delivered."""
        if not approval.answers_workflow:
            return
        if approval.outcome is None:
            raise ValueError(f"approval {approval.key} is not decided")
        digest = hashlib.sha256(attempt.encode()).hexdigest()[:16]
        self._outbox.stage(
            transaction,
            OutboxMessage(
                key=f"approval:{approval.key}:answer:{digest}",
                kind=ANSWER_TASK,
                payload={
                    "approval_key": approval.key,
                    "outcome": approval.outcome.value,
                    "step": approval.subject.step,
                },
                correlation_id=approval.subject.subject_id,
            ),
        )

    def deliver_answer(self, payload: dict[str, Any]) -> None:
        """Delivers an answer from the outbox. If nothing waits any more (the step timed out meanwhile), the
        workflow's own outcome stands in the history."""
        token = self._approvals.task_token(payload["approval_key"])
        with suppress(TaskClosed):
            self._task_answers.answer(token, {"outcome": payload["outcome"], "step": payload["step"]})

    # --- used by people --------------------------------------------------------------------------
    #
    # A step is reached two ways: through the opaque id of its e-mailed link (the approval keyed by the id's hash)
    # or, from the portal's lists, by the subject and the step (the step's pointer to its latest approval). Each
    # way only finds the approval; everything after that is one code path, so both obey the same rules.

    def _approval_for(self, approval_id: str, actor: Actor) -> Approval:
        approval = self._approvals.get(approval_key(approval_id))
        if approval is None:
            raise NotFound(LINK_NOT_VALID)
        approval.require_assignee(actor.person.user_id)  # R-ORD-5
        return approval

    def _approval_of_step(self, ref: SubjectRef, actor: Actor) -> Approval:
        approval = self._approvals.current(ref)
        if approval is None or approval.subject != ref:  # not opened yet, or not this subject's
            raise NotFound(NO_SUCH_STEP)
        approval.require_assignee(actor.person.user_id)  # R-ORD-5
        return approval

    def _resolve(self, ref_or_link: SubjectRef | str, actor: Actor) -> Approval:
        if isinstance(ref_or_link, SubjectRef):
            return self._approval_of_step(ref_or_link, actor)
        return self._approval_for(ref_or_link, actor)

    def view(self, approval_id: str, actor: Actor) -> dict[str, Any]:
        """What the assignee sees behind the link. Reads only: mail scanners open links."""
        return self._view(self._approval_for(approval_id, actor), actor)

    def view_step(self, ref: SubjectRef, actor: Actor) -> dict[str, Any]:
        """What the assignee sees of a step opened from their list (R-ORD-6): the link's view, and whether they
        may still ask for the step's e-mail again. Reads only."""
        approval = self._approval_of_step(ref, actor)
        shown = self._view(approval, actor)
        left = 0
        if shown["state"] == "open":
            left = resends_left(self._approvals.resends(approval.key, actor.person.user_id))
        return {**shown, "resends_left": left, "may_resend_request": left > 0}

    def _view(self, approval: Approval, actor: Actor) -> dict[str, Any]:
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
        return SigningRequest(
            purpose=approval.key,
            signer=actor.person,
            description=approval.signing_description,
            params=approval.signing_params,
        )

    def send_code(self, approval_id: str, actor: Actor) -> dict[str, str]:
        """R-ORD-4: the signature starts at the moment of deciding (a fresh code by SMS)."""
        return self._send_code(self._approval_for(approval_id, actor), actor)

    def send_code_for_step(self, ref: SubjectRef, actor: Actor) -> dict[str, str]:
        """R-ORD-4, for a step opened from the assignee's list: the same code as through the link."""
        return self._send_code(self._approval_of_step(ref, actor), actor)

    def _send_code(self, approval: Approval, actor: Actor) -> dict[str, str]:
        approval.require_open(self._clock())
        if not approval.needs_signature:
            raise InvalidRequest(NEEDS_NO_SIGNATURE)
        # The code signs the approval (its key is the purpose), however the step was reached.
        return self._signer.start(self._signing(approval, actor))

    def decide(
        self, approval_id: str, actor: Actor, command: Decide, details: BaseModel | None = None
    ) -> dict[str, Any]:
        """Single use: of any number of decisions sent at once, one is stored; the others are told why not."""
        command.require_reason()
        return self._decide(self._approval_for(approval_id, actor), actor, command, details)

    def decide_step(
        self, ref: SubjectRef, actor: Actor, command: Decide, details: BaseModel | None = None
    ) -> dict[str, Any]:
        """The same decision, of a step opened from the assignee's list: one winner among decisions sent at once
        by step and by link alike, since both decide the one approval."""
        command.require_reason()
        return self._decide(self._approval_of_step(ref, actor), actor, command, details)

    def _decide(self, approval: Approval, actor: Actor, command: Decide, details: BaseModel | None) -> dict[str, Any]:
        now = self._clock()
        approval.require_open(now)

        transaction = self._transactions.begin()
        signature = None
        if approval.needs_signature:  # R-ORD-4
            try:
                signature = self._signer.verify(transaction, self._signing(approval, actor), command.one_time_code)
            except DomainError:
                # A decision sent at the same moment may have used the code up: then that is the answer.
                self._refuse_if_decided_meanwhile(approval, now)
                raise
        outcome = Outcome.APPROVED if command.decision == "approve" else Outcome.REJECTED
        decision = Decision(outcome=outcome, reason=command.reason, details=details)
        subject = self._subject(approval.subject)
        subject.decide(transaction, approval.subject, actor, decision, signature, now)
        approval.decide(actor.person.user_id, outcome)
        self._approvals.decide(transaction, approval)
        self._answer(transaction, approval)
        try:
            transaction.commit()
        except ConcurrentChange as error:
            raise self._why_not(approval, now) from error
        ref = approval.subject
        return {
            "step": ref.step,
            "outcome": outcome.value,
            "kind": ref.kind,
            "subject_id": ref.subject_id,
            f"{ref.kind}_id": ref.subject_id,  # e.g. order_id, as the subject's own API names it
        }

    def _refuse_if_decided_meanwhile(self, approval: Approval, now: datetime) -> None:
        current = self._approvals.get(approval.key)
        if current is None or current.status is not ApprovalStatus.OPEN:
            raise self._why_not(approval, now)

    def _why_not(self, approval: Approval, now: datetime) -> Exception:
        """Why a decision lost at commit, as the step stands now: decided by someone (or a parallel click), or
        the subject moved on (a timeout), or something else changed, worth another look."""
        current = self._approvals.get(approval.key)
        if current is None:
            return NotFound(LINK_NOT_VALID)
        try:
            current.require_open(now)
        except DomainError as refusal:
            return refusal
        if self._subject(current.subject).is_closed(current.subject):
            return Expired(LINK_EXPIRED)
        return InProgress(CHANGED_MEANWHILE)

    def resend_request(self, ref_or_link: SubjectRef | str, actor: Actor) -> dict[str, Any]:
        """Sends an open step's request mail again, to this assignee only, with the link it had (R-ORD-6: a mail
        lost or deleted leaves the step in the person's list, and now in their inbox again).

        Through the outbox, like the first mail, under a key of its own (the n-th resend to this person), so it is
        not taken for the first one; a few times per assignee and step. Refused, as a decision would be, to anyone
        but an assignee (R-ORD-5) and once the step is decided, expired or its subject has ended.
        """
        for _ in range(3):
            approval = self._resolve(ref_or_link, actor)
            now = self._clock()
            approval.require_open(now)
            subject = self._subject(approval.subject)
            if subject.is_closed(approval.subject):
                raise Expired(LINK_EXPIRED)
            person = actor.person
            resends = self._approvals.resends(approval.key, person.user_id)
            require_resend_allowed(resends)
            request = subject.request(approval.subject)
            transaction = self._transactions.begin()
            self._approvals.add_resend(transaction, approval, person.user_id, resends)
            self._outbox.stage(
                transaction,
                self._request_message(approval, person, request.template, request.context, resend=resends + 1),
            )
            try:
                transaction.commit()
            except ConcurrentChange:
                continue  # decided, or asked for again, meanwhile: look again
            ref = approval.subject
            return {
                "step": ref.step,
                "kind": ref.kind,
                "subject_id": ref.subject_id,
                f"{ref.kind}_id": ref.subject_id,
                "sent_to": person.email,
                "resends_left": resends_left(resends + 1),
            }
        raise InProgress(CHANGED_MEANWHILE)

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
