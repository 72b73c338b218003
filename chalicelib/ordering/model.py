"""The catalogue and the order: the nouns of DOMAIN.md Flow 2 and the order's lifecycle (R-ORD-2, R-ORD-3)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from chalicelib.ordering.reasons import (
    AGENT_REVIEW_MISSING,
    ATTESTATION_NEEDS_SIGNATURE,
    CASE_BEFORE_CHAIN_DONE,
    NO_SUCH_AGENT,
    NO_SUCH_OFFERING,
    ORDER_ENDED,
    STEP_ALREADY_DECIDED,
    STEP_CANNOT_START,
)
from chalicelib.shared import deferred
from chalicelib.shared.commands import Command, Text
from chalicelib.shared.errors import AlreadyDone, InvalidRequest, NotAllowed, StepOutOfOrder
from chalicelib.shared.identity import Actor, Person
from chalicelib.shared.languages import Texts
from chalicelib.shared.signatures import SigningMethod


class Flow(StrEnum):
    DIRECT = "direct"
    VIA_AGENT = "via_agent"


class Step(StrEnum):
    AGENT_APPROVAL = "agent_approval"
    AGENT_ATTESTATION = "agent_attestation"
    CUSTOMER_ATTESTATION = "customer_attestation"

    @property
    def is_attestation(self) -> bool:
        # R-ORD-4: attestation is a signature; agent approval is a review, not a signature.
        return self is not Step.AGENT_APPROVAL


# R-ORD-2: the chain of each flow, in order; nothing skipped, nothing repeated.
CHAINS: dict[Flow, tuple[Step, ...]] = {
    Flow.VIA_AGENT: (Step.AGENT_APPROVAL, Step.AGENT_ATTESTATION, Step.CUSTOMER_ATTESTATION),
    Flow.DIRECT: (Step.CUSTOMER_ATTESTATION,),
}


class OrderStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    NEEDS_ATTENTION = "needs_attention"

    @property
    def is_final(self) -> bool:
        return self is not OrderStatus.IN_PROGRESS


class Ending(StrEnum):
    """How the workflow ends an order that got no case (the CloseOrder task's input)."""

    DECLINED = "declined"
    TIMED_OUT = "timed_out"


class HistoryAction(StrEnum):
    SUBMITTED = "submitted"
    STEP_OPENED = "step_opened"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    CASE_CREATED = "case_created"
    NEEDS_ATTENTION = "needs_attention"
    AWAITING_ORDERER_APPROVAL = "awaiting_orderer_approval"  # R-REQ-3
    ORDERER_APPROVED = "orderer_approved"  # R-REQ-3
    RESUMED = "resumed"


DECLINES = (HistoryAction.REJECTED, HistoryAction.CANCELLED, HistoryAction.TIMED_OUT)


class Model(deferred.Model):
    model_config = ConfigDict(frozen=False, extra="forbid")


# --- catalogue -----------------------------------------------------------------------------------


class DeclarationQuestion(Model):
    question_id: str
    text: Texts


class Offering(Model):
    offering_id: str
    service_id: str
    service_name: str
    name: str
    description: Texts
    flow: Flow
    start_up_fee: int = Field(ge=0, description="SEK, charged once per order (R-ORD-1)")
    price_per_care_unit: int = Field(ge=0, description="SEK per care unit (R-ORD-1)")
    declaration_questions: list[DeclarationQuestion] = Field(default_factory=list)


class Agent(Model):
    """A system vendor customers connect through, and the source (journal) systems it supports."""

    org_id: str
    name: str
    source_systems: list[str]


class Catalogue(Model):
    version: int
    agreement_version: int = Field(description="The current customer agreement everyone must sign (R-ONB-1)")
    terms_version: int = Field(description="The current terms of the service, which an orderer accepts with an order")
    offerings: list[Offering]
    agents: list[Agent]

    def offering(self, offering_id: str) -> Offering:
        for offering in self.offerings:
            if offering.offering_id == offering_id:
                return offering
        raise InvalidRequest(NO_SUCH_OFFERING, field="offering_id")

    def agent(self, org_id: str) -> Agent:
        for agent in self.agents:
            if agent.org_id == org_id:
                return agent
        raise InvalidRequest(NO_SUCH_AGENT, field="agent_org_id")


# --- orders --------------------------------------------------------------------------------------

# A care unit's id in the HSA catalogue (Sweden's directory of health-care units): "SE", the organisation
# number (ten digits, or twelve with the century), "-" and the unit's own part.
HsaId = Annotated[str, StringConstraints(pattern=r"^SE[0-9]{10,12}-[A-Za-z0-9]{1,31}$")]


class CareUnit(Command):
    """A care unit that will use the service (vårdenhet), as the orderer names it and as the HSA catalogue
    knows it."""

    name: Text
    hsa_id: HsaId


class InvoiceDetails(Model):
    address: str
    reference: str


class Price(Model):
    """R-ORD-1: every order carries a start-up fee, so one order for all care units is cheapest."""

    start_up_fee: int
    price_per_care_unit: int
    care_unit_count: int
    total: int

    @classmethod
    def for_offering(cls, offering: Offering, care_unit_count: int) -> Price:
        return cls(
            start_up_fee=offering.start_up_fee,
            price_per_care_unit=offering.price_per_care_unit,
            care_unit_count=care_unit_count,
            total=offering.start_up_fee + offering.price_per_care_unit * care_unit_count,
        )


class HistoryEvent(Model):
    """One line of an order's history (R-ORD-8): who did what, when, with which signing method."""

    at: datetime
    action: HistoryAction
    actor_id: str
    actor_name: str
    step: Step | None = None
    signing_method: SigningMethod | None = None
    note: str | None = None
    # R-REQ-5: a requisitioner switched to the orderer did it; the actor is the orderer, on its behalf.
    on_behalf_of_id: str | None = None
    on_behalf_of_name: str | None = None

    def done_by(self, actor: Actor) -> HistoryEvent:
        """The event as `actor` did it: the person acted as, on behalf of who signed in when switched."""
        if actor.acting_as is None:
            return self
        return self.model_copy(
            update={"on_behalf_of_id": actor.signed_in.user_id, "on_behalf_of_name": actor.signed_in.name}
        )


class AgentReview(Model):
    """What the agent's case handler adds when approving (seed 002 step 2)."""

    declaration_accepted: bool
    invoice: InvoiceDetails
    attester_id: str
    attester_name: str
    handler_id: str
    handler_name: str


SYSTEM = ("system", "Order workflow")
OPERATIONS = ("operations", "Operations")


def _by_system(at: datetime, action: HistoryAction, step: Step | None = None, note: str | None = None) -> HistoryEvent:
    return HistoryEvent(at=at, action=action, step=step, actor_id=SYSTEM[0], actor_name=SYSTEM[1], note=note)


class Order(Model):
    order_id: str
    number: str
    flow: Flow
    status: OrderStatus = OrderStatus.IN_PROGRESS
    current_step: Step | None = None
    completed_steps: list[Step] = Field(default_factory=list)
    customer_org_id: str
    customer_name: str
    orderer_id: str
    orderer_name: str
    attester_id: str
    offering: Offering
    care_units: list[CareUnit]
    source_system: str | None = None
    agent_org_id: str | None = None
    agent_name: str | None = None
    declarations: dict[str, bool]
    invoice: InvoiceDetails
    price: Price
    terms_version: int = Field(description="the terms the orderer accepted")
    terms_accepted_at: datetime = Field(description="when they were accepted: the submit")
    agent_review: AgentReview | None = None
    outcome_reason: str | None = None
    case_number: str | None = None
    resumptions: int = Field(default=0, ge=0, description="how often operations resumed it (its executions)")
    # R-REQ-3: its orderer, a requisitioner's, was not approved when it was submitted, so the case waits for the
    # approval (OrdererApproval). Kept on the order so that every start of its execution (a resume, a start the
    # reconciliation repeats) says the same.
    held_for_orderer: bool = False
    created_at: datetime
    updated_at: datetime

    @property
    def chain(self) -> tuple[Step, ...]:
        return CHAINS[self.flow]

    @property
    def agent_took_part(self) -> bool:
        return self.flow is Flow.VIA_AGENT

    @property
    def waits_for_agent(self) -> bool:
        """R-ORD-7: the order is in the agent's queue while one of the agent's steps is open."""
        return self.agent_org_id is not None and self.current_step in (Step.AGENT_APPROVAL, Step.AGENT_ATTESTATION)

    def next_step(self) -> Step | None:
        remaining = [step for step in self.chain if step not in self.completed_steps]
        return remaining[0] if remaining else None

    def _require_in_progress(self) -> None:
        if self.status.is_final:
            raise AlreadyDone(ORDER_ENDED, status=self.status.value)

    def open_step(self, step: Step, now: datetime) -> HistoryEvent | None:
        """Opens `step` for a decision. Re-opening the step already open (a retried task) is allowed."""
        self._require_in_progress()
        if self.current_step is step:
            return None
        # R-ORD-2: only the next step of this order's chain may open.
        if step is not self.next_step() or self.current_step is not None:
            raise StepOutOfOrder(STEP_CANNOT_START, step=step.value, waits_for=self.next_step())
        self.current_step = step
        self.updated_at = now
        return _by_system(now, HistoryAction.STEP_OPENED, step)

    def decide(
        self,
        step: Step,
        *,
        actor: Person,
        approve: bool,
        reason: str | None,
        now: datetime,
        signing_method: SigningMethod | None,
        agent_review: AgentReview | None = None,
    ) -> HistoryEvent:
        self._require_in_progress()
        if self.current_step is not step:
            raise AlreadyDone(STEP_ALREADY_DECIDED)
        if step.is_attestation and signing_method is None:
            raise NotAllowed(ATTESTATION_NEEDS_SIGNATURE, field="one_time_code")  # R-ORD-4
        self.current_step = None
        self.updated_at = now
        if approve:
            self.completed_steps.append(step)
            if step is Step.AGENT_APPROVAL:
                if agent_review is None:
                    raise InvalidRequest(AGENT_REVIEW_MISSING, field="agent_review")
                self.agent_review = agent_review
            action = HistoryAction.APPROVED
        else:
            # R-ORD-3: a rejection or cancellation at any step ends the order.
            self.status = OrderStatus.CANCELLED if step.is_attestation else OrderStatus.REJECTED
            self.outcome_reason = reason
            action = HistoryAction.CANCELLED if step.is_attestation else HistoryAction.REJECTED
        return HistoryEvent(
            at=now,
            action=action,
            step=step,
            actor_id=actor.user_id,
            actor_name=actor.name,
            signing_method=signing_method,
            note=reason,
        )

    def time_out(self, now: datetime) -> HistoryEvent | None:
        """The open step got no decision in time (R-ORD-3). None when the order had already ended."""
        if self.status.is_final:
            return None
        step = self.current_step
        self.status = OrderStatus.TIMED_OUT
        self.current_step = None
        self.updated_at = now
        self.outcome_reason = f"No decision on {step.value if step else 'the order'} within the time limit."
        return _by_system(now, HistoryAction.TIMED_OUT, step, self.outcome_reason)

    def complete(self, case_number: str, now: datetime) -> HistoryEvent | None:
        """Case creation after the whole chain. None when the case already exists (a retried task)."""
        if self.status is OrderStatus.COMPLETED and self.case_number == case_number:
            return None
        self._require_in_progress()
        if self.next_step() is not None or self.current_step is not None:
            raise StepOutOfOrder(CASE_BEFORE_CHAIN_DONE)
        self.status = OrderStatus.COMPLETED
        self.case_number = case_number
        self.updated_at = now
        return _by_system(now, HistoryAction.CASE_CREATED, note=case_number)

    def needs_attention(self, error: str, now: datetime) -> HistoryEvent | None:
        """The workflow gave up; None when the order had already ended (or was already marked)."""
        if self.status.is_final:
            return None
        self.status = OrderStatus.NEEDS_ATTENTION
        self.current_step = None
        self.updated_at = now
        return _by_system(now, HistoryAction.NEEDS_ATTENTION, note=error)

    def awaits_orderer_approval(self, now: datetime) -> HistoryEvent | None:
        """R-REQ-3: the chain is done, but the case waits until the requisitioner approves the orderer."""
        self._require_in_progress()
        self.updated_at = now
        return _by_system(now, HistoryAction.AWAITING_ORDERER_APPROVAL)

    def orderer_approved(self, approver: Person, now: datetime) -> HistoryEvent | None:
        """R-REQ-3: the requisitioner approved the orderer; the order goes on to its case. None once ended."""
        if self.status.is_final:
            return None
        self.updated_at = now
        return HistoryEvent(
            at=now, action=HistoryAction.ORDERER_APPROVED, actor_id=approver.user_id, actor_name=approver.name
        )

    def resume(self, history: list[HistoryEvent], now: datetime, operator: str | None = None) -> HistoryEvent | None:
        """Operations resume an order handed to them once the failure is fixed (a broken release): it is in
        progress again where it stood, under a new execution. None unless it needs attention, so a repeated
        resume does nothing. A step that was open is open again: its request and link stay those it had."""
        if self.status is not OrderStatus.NEEDS_ATTENTION:
            return None
        step = self.next_step()  # R-ORD-2: the chain goes on where it stood; nothing decided is asked again
        opened = any(event.action is HistoryAction.STEP_OPENED and event.step is step for event in history)
        self.status = OrderStatus.IN_PROGRESS
        self.current_step = step if step is not None and opened else None
        self.resumptions += 1
        self.updated_at = now
        return HistoryEvent(
            at=now,
            action=HistoryAction.RESUMED,
            step=step,
            actor_id=OPERATIONS[0],
            actor_name=operator or OPERATIONS[1],
        )

    def case_number_for(self) -> str:
        """The case number follows from the order number, so a retried task makes the same case once."""
        return f"CS{self.number.removeprefix('RITM')}"


class Case(Model):
    """What customer service works on once the chain is done (Flow 2 step 5)."""

    case_number: str
    order_id: str
    order_number: str
    customer_org_id: str
    customer_name: str
    offering_name: str
    flow: Flow
    created_at: datetime

    @classmethod
    def of(cls, order: Order, at: datetime) -> Case:
        if order.case_number is None:
            raise ValueError(f"order {order.order_id} has no case yet")
        return cls(
            case_number=order.case_number,
            order_id=order.order_id,
            order_number=order.number,
            customer_org_id=order.customer_org_id,
            customer_name=order.customer_name,
            offering_name=order.offering.name,
            flow=order.flow,
            created_at=at,
        )
