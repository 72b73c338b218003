"""An order's decision steps, as the approvals context decides them (R-ORD-2…5)."""

from __future__ import annotations

from datetime import datetime

from chalicelib.approvals.ports import Decision, OpenedStep, Outcome, StepRequest, SubjectRef, SubjectView
from chalicelib.directory.ports import Directory
from chalicelib.ordering.commands import AgentReviewInput
from chalicelib.ordering.model import Order, Step
from chalicelib.ordering.notices import OrderNotices, mail_view
from chalicelib.ordering.ports import Orders
from chalicelib.ordering.reasons import AGENT_REVIEW_REQUIRED, NO_SUCH_ORDER, NOBODY_TO_DECIDE
from chalicelib.ordering.rules import agent_review, assignees, invoice_to_save
from chalicelib.shared.errors import InvalidRequest, NotFound, StepOutOfOrder
from chalicelib.shared.i18n import N_
from chalicelib.shared.identity import Actor, Role
from chalicelib.shared.transactions import Transaction
from chalicelib.signing.ports import Signature

ORDER = "order"


def order_step(order_id: str, step: Step) -> SubjectRef:
    return SubjectRef(kind=ORDER, subject_id=order_id, step=step.value)


class OrderSteps:
    """The `Subject` of kind "order": agent approval, agent attestation, customer attestation."""

    kind = ORDER

    def __init__(self, orders: Orders, directory: Directory, notices: OrderNotices) -> None:
        self._orders = orders
        self._directory = directory
        self._notices = notices

    def _order(self, ref: SubjectRef) -> tuple[Order, int]:
        found = self._orders.get(ref.subject_id)
        if found is None:
            raise NotFound(NO_SUCH_ORDER)
        return found

    def open(self, transaction: Transaction, ref: SubjectRef, now: datetime) -> OpenedStep:
        order, version = self._order(ref)
        step = Step(ref.step)
        opened = order.open_step(step, now)
        handlers = (
            self._directory.people(order.agent_org_id, Role.AGENT_CASE_HANDLER) if step is Step.AGENT_APPROVAL else []
        )
        known = {person.user_id: person for person in handlers}
        people = [known.get(user_id) or self._directory.person(user_id) for user_id in assignees(order, step, handlers)]
        deciders = [person for person in people if person is not None]
        if not deciders:
            raise StepOutOfOrder(NOBODY_TO_DECIDE, step=step.value, number=order.number)
        self._orders.save(transaction, order, version, [opened])
        request = self._request(order, step)
        return OpenedStep(
            assignees=deciders,
            needs_signature=step.is_attestation,  # R-ORD-4
            signing_description=N_("attest order {number}"),
            signing_params={"number": order.number},
            summary={
                "order_id": order.order_id,
                "number": order.number,
                "customer_name": order.customer_name,
                "offering_name": order.offering.name,
            },
            request_template=request.template,
            request_context=request.context,
        )

    @staticmethod
    def _request(order: Order, step: Step) -> StepRequest:
        return StepRequest(template=f"request_{step.value}", context={"order": mail_view(order)})

    def request(self, ref: SubjectRef) -> StepRequest:
        order, _ = self._order(ref)
        return self._request(order, Step(ref.step))

    def view(self, ref: SubjectRef, actor: Actor) -> SubjectView:
        order, _ = self._order(ref)
        details: dict[str, object] = {"order": order.model_dump(mode="json")}
        if Step(ref.step) is Step.AGENT_APPROVAL:
            details["agent_attesters"] = [
                {"user_id": person.user_id, "name": person.name}
                for person in self._directory.people(order.agent_org_id, Role.ATTESTER)
            ]
        return SubjectView(details=details, closed=order.status.is_final)

    def is_closed(self, ref: SubjectRef) -> bool:
        found = self._orders.get(ref.subject_id)
        return found is None or found[0].status.is_final

    def decide(
        self,
        transaction: Transaction,
        ref: SubjectRef,
        actor: Actor,
        decision: Decision,
        signature: Signature | None,
        now: datetime,
    ) -> None:
        order, version = self._order(ref)
        step = Step(ref.step)
        approve = decision.outcome is Outcome.APPROVED
        review = None
        if approve and step is Step.AGENT_APPROVAL:
            details = decision.details
            if not isinstance(details, AgentReviewInput):
                raise InvalidRequest(AGENT_REVIEW_REQUIRED, field="agent_review")
            agent = self._directory.organisation(order.agent_org_id) if order.agent_org_id else None
            review = agent_review(order, details, actor.person, self._directory.person(details.attester_id), agent)
            if agent is not None:
                # A new address saved for reuse goes on the agent's organisation, with the decision.
                saved = invoice_to_save(details.invoice, agent, order.order_id, field="agent_review.invoice")
                if saved is not None:
                    self._directory.add_invoice_details(transaction, agent, saved)
        decided = order.decide(
            step,
            actor=actor.person,
            approve=approve,
            reason=decision.reason,
            now=now,
            signing_method=signature.method if signature else None,
            agent_review=review,
        ).done_by(actor)  # R-REQ-5
        self._orders.save(transaction, order, version, [decided])
        if order.status.is_final:
            self._notices.ended(transaction, order, decided)  # R-ORD-3: told why, with the decision
