"""Decision steps: opening one for its assignees, showing it, signing it, deciding it (R-ORD-2…6)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters.mail import Mailer
from chalicelib.adapters.sms import SmsSender
from chalicelib.adapters.table import ConcurrentChange, Table, pending_key, step_key
from chalicelib.adapters.workflow import TaskClosed, Workflow
from chalicelib.domain.commands import Decide
from chalicelib.domain.errors import AlreadyDone, InvalidRequest, NotFound, StepOutOfOrder, TooManyAttempts
from chalicelib.domain.model import Order, Role, SigningMethod, Step, User
from chalicelib.domain.ordering import agent_review, assignees
from chalicelib.domain.signing import (
    Approval,
    ApprovalStatus,
    CodeChallenge,
    approval_key,
    new_approval_id,
    require_code,
)

MAX_CODES_PER_APPROVAL = 5


class DecisionService:
    def __init__(
        self,
        table: Table,
        mailer: Mailer,
        sms: SmsSender,
        workflow: Workflow,
        clock: Callable[[], datetime],
        base_url: str,
        code_ttl: timedelta,
        code_max_attempts: int,
    ) -> None:
        self._table = table
        self._mailer = mailer
        self._sms = sms
        self._workflow = workflow
        self._clock = clock
        self._base_url = base_url
        self._code_ttl = code_ttl
        self._code_max_attempts = code_max_attempts

    # --- opened by the workflow ----------------------------------------------------------------

    def open(self, order_id: str, step: Step, task_token: str, timeout_seconds: int) -> Approval:
        """Stores the task token under a fresh opaque id and tells the assignees (R-ORD-5, R-ORD-6).

        A retried task finds its step already open: the earlier link is superseded, so exactly one
        link per step works, and the history shows the step opened once.
        """
        found = self._table.get_order(order_id)
        if found is None:
            raise NotFound(f"No order {order_id}.")
        order, version = found
        now = self._clock()
        opened = order.open_step(step, now)
        handlers = (
            self._table.organisation_users(order.agent_org_id, Role.AGENT_CASE_HANDLER)
            if step is Step.AGENT_APPROVAL
            else []
        )
        assignee_ids = assignees(order, step, handlers)
        if not assignee_ids:
            raise StepOutOfOrder(f"Nobody can decide {step.value} for order {order.number}.")

        approval_id = new_approval_id()
        approval = Approval(
            key=approval_key(approval_id),
            order_id=order_id,
            step=step,
            assignees=assignee_ids,
            created_at=now,
            expires_at=now + timedelta(seconds=timeout_seconds),
        )
        transaction = (
            self._table.transaction()
            .save_order(order, version)
            .add_events(order_id, [opened])
            .save_approval(approval, None)
            # The token sits in its own item: reading an approval to show it never loads the token.
            .put(
                {
                    "pk": f"APPROVAL#{approval.key}",
                    "sk": "TOKEN",
                    "task_token": task_token,
                    "expires_at_epoch": int(approval.expires_at.timestamp()) + 86_400,
                }
            )
            .put({**step_key(order_id, step), "approval_key": approval.key})
        )
        previous_key = self._table.get_open_step(order_id, step)
        previous = self._table.get_approval(previous_key) if previous_key else None
        if previous is not None and previous.status is ApprovalStatus.OPEN:
            previous.status = ApprovalStatus.SUPERSEDED
            transaction.save_approval(previous, ApprovalStatus.OPEN)
        for user_id in assignee_ids:
            transaction.put(
                {
                    **pending_key(user_id, order_id, step),
                    "entity": "pending",
                    "user_id": user_id,
                    "order_id": order_id,
                    "number": order.number,
                    "step": step.value,
                    "customer_name": order.customer_name,
                    "offering_name": order.offering.name,
                    "since": now.isoformat(),
                }
            )
        transaction.commit()

        link = f"{self._base_url}/approvals/{approval_id}"
        known = {user.user_id: user for user in handlers}
        for user_id in assignee_ids:
            assignee = known.get(user_id) or self._table.get_user(user_id)
            if assignee is not None:
                self._mailer.send(
                    [assignee.email],
                    f"request_{step.value}",
                    order=order,
                    person=assignee,
                    link=link,
                    expires_at=approval.expires_at,
                )
        return approval

    # --- used by people --------------------------------------------------------------------------

    def _approval_for(self, approval_id: str, user: User) -> Approval:
        approval = self._table.get_approval(approval_key(approval_id))
        if approval is None:
            raise NotFound("This link is not valid.")
        approval.require_assignee(user.user_id)  # R-ORD-5
        return approval

    def _order(self, approval: Approval) -> tuple[Order, int]:
        found = self._table.get_order(approval.order_id)
        if found is None:
            raise NotFound("The order behind this link no longer exists.")
        return found

    def view(self, approval_id: str, user: User) -> dict[str, Any]:
        """What the assignee sees behind the link. Reads only: mail scanners open links."""
        approval = self._approval_for(approval_id, user)
        order, _ = self._order(approval)
        now = self._clock()
        state = "open"
        if approval.status is ApprovalStatus.DECIDED:
            state = "decided"
        elif approval.status is ApprovalStatus.SUPERSEDED or now >= approval.expires_at or order.status.is_final:
            state = "expired"
        view: dict[str, Any] = {
            "step": approval.step.value,
            "state": state,
            "outcome": approval.outcome,
            "expires_at": approval.expires_at.isoformat(),
            "needs_one_time_code": approval.step.is_attestation,
            "order": order.model_dump(mode="json"),
        }
        if approval.step is Step.AGENT_APPROVAL:
            view["agent_attesters"] = [
                {"user_id": person.user_id, "name": person.name}
                for person in self._table.organisation_users(order.agent_org_id, Role.ATTESTER)
            ]
        return view

    def send_code(self, approval_id: str, user: User) -> dict[str, Any]:
        """R-ORD-4: a fresh code, by SMS, at the moment of attesting; it replaces any earlier one."""
        approval = self._approval_for(approval_id, user)
        now = self._clock()
        approval.require_open(now)
        if not approval.step.is_attestation:
            raise InvalidRequest("This step is an approval, not an attestation: it needs no code.")
        if not user.phone:
            raise InvalidRequest("No mobile number is registered for you; ask your administrator.")
        codes_sent = approval.codes_sent + 1
        if codes_sent > MAX_CODES_PER_APPROVAL:
            raise TooManyAttempts("Too many codes were requested for this step.")
        order, _ = self._order(approval)
        approval.challenge, code = CodeChallenge.issue(now, self._code_ttl)
        approval.challenge_for = user.user_id
        approval.codes_sent = codes_sent
        try:
            self._table.transaction().save_approval(approval, ApprovalStatus.OPEN).commit()
        except ConcurrentChange as error:
            raise AlreadyDone("This step has already been decided.") from error
        minutes = int(self._code_ttl.total_seconds() // 60)
        self._sms.send(
            user.phone,
            f"{code} is your code to attest order {order.number}. It is valid for {minutes} minutes. Never share it.",
        )
        return {"sent_to": _masked(user.phone), "expires_at": approval.challenge.expires_at.isoformat()}

    def decide(self, approval_id: str, user: User, command: Decide) -> dict[str, Any]:
        approval = self._approval_for(approval_id, user)
        if approval.status is ApprovalStatus.DECIDED and not approval.delivered and approval.decided_by == user.user_id:
            return self._deliver(approval)  # the decision was stored but never reached the workflow
        now = self._clock()
        approval.require_open(now)
        order, version = self._order(approval)

        signing_method = None
        if approval.step.is_attestation:
            signing_method = self._check_code(approval, user, require_code(command.one_time_code), now)

        approve = command.decision == "approve"
        review = None
        if approve and approval.step is Step.AGENT_APPROVAL:
            if command.agent_review is None:
                raise InvalidRequest(
                    "Approving needs the declaration, the agent's invoice details and the agent attester.",
                    field="agent_review",
                )
            review = agent_review(
                order, command.agent_review, user, self._table.get_user(command.agent_review.attester_id)
            )

        decided = order.decide(
            approval.step,
            actor=user,
            approve=approve,
            reason=command.reason,
            now=now,
            signing_method=signing_method,
            agent_review=review,
        )
        approval.status = ApprovalStatus.DECIDED
        approval.decided_by = user.user_id
        approval.outcome = "approved" if approve else "rejected"
        approval.challenge = None
        transaction = (
            self._table.transaction()
            .save_approval(approval, ApprovalStatus.OPEN)  # single use: only one decision wins
            .save_order(order, version)
            .add_events(order.order_id, [decided])
        )
        for user_id in approval.assignees:
            transaction.delete(pending_key(user_id, order.order_id, approval.step))
        try:
            transaction.commit()
        except ConcurrentChange as error:
            raise AlreadyDone("This step has already been decided.") from error
        return self._deliver(approval)

    def _check_code(self, approval: Approval, user: User, code: str, now: datetime) -> SigningMethod:
        if approval.challenge is None or approval.challenge_for != user.user_id:
            raise InvalidRequest("Ask for a one-time code first.", field="one_time_code")
        if not approval.challenge.check(code, now, self._code_max_attempts):
            self._table.record_wrong_code(approval)
            left = self._code_max_attempts - approval.challenge.attempts - 1
            raise InvalidRequest(f"Wrong code. {left} attempt(s) left.", field="one_time_code")
        return SigningMethod.SMS_ONE_TIME_CODE

    def _deliver(self, approval: Approval) -> dict[str, Any]:
        token = self._table.get_task_token(approval.key)
        # TaskClosed: the step timed out meanwhile; the workflow's own outcome stands in the history.
        with suppress(TaskClosed):
            self._workflow.deliver(token, {"outcome": approval.outcome, "step": approval.step.value})
        self._table.mark_delivered(approval.key)
        return {"step": approval.step.value, "outcome": approval.outcome, "order_id": approval.order_id}


def _masked(phone: str) -> str:
    return f"{'•' * max(len(phone) - 3, 0)}{phone[-3:]}"
