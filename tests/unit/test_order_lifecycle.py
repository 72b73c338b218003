"""The chain of R-ORD-2 and the endings of R-ORD-3, as plain state changes."""

from __future__ import annotations

import pytest

from chalicelib.ordering.model import AgentReview, InvoiceDetails, Order, OrderStatus, Step
from chalicelib.ordering.rules import assignees
from chalicelib.shared.errors import AlreadyDone, NotAllowed, StepOutOfOrder
from chalicelib.signing.ports import SigningMethod

from .fixtures import AGENT_ATTESTER, ATTESTER, HANDLER, NOW, ORDERER, command, placed

REVIEW = AgentReview(
    declaration_accepted=True,
    invoice=InvoiceDetails(address="A", reference="R"),
    attester_id="agent-attester",
    attester_name="Alva",
    handler_name="Hanna",
    handler_id="handler",
)
SMS = SigningMethod.SMS_ONE_TIME_CODE


def approve(order: Order, step: Step) -> None:
    order.open_step(step, NOW)
    actor = {Step.AGENT_APPROVAL: HANDLER, Step.AGENT_ATTESTATION: AGENT_ATTESTER}.get(step, ATTESTER)
    order.decide(
        step,
        actor=actor,
        approve=True,
        reason=None,
        now=NOW,
        signing_method=None if step is Step.AGENT_APPROVAL else SMS,
        agent_review=REVIEW if step is Step.AGENT_APPROVAL else None,
    )


def test_a_via_agent_order_passes_its_three_steps_in_order_then_completes():
    order = placed()
    for step in (Step.AGENT_APPROVAL, Step.AGENT_ATTESTATION, Step.CUSTOMER_ATTESTATION):
        assert order.next_step() is step
        approve(order, step)
    assert order.complete("CS1", NOW) is not None
    assert order.status is OrderStatus.COMPLETED


@pytest.mark.parametrize("skipped_to", [Step.AGENT_ATTESTATION, Step.CUSTOMER_ATTESTATION])
def test_no_step_may_be_skipped(skipped_to):
    """R-ORD-2."""
    with pytest.raises(StepOutOfOrder):
        placed().open_step(skipped_to, NOW)


def test_no_step_may_be_repeated():
    """R-ORD-2."""
    order = placed()
    approve(order, Step.AGENT_APPROVAL)
    with pytest.raises(StepOutOfOrder):
        order.open_step(Step.AGENT_APPROVAL, NOW)
    with pytest.raises(AlreadyDone):
        order.decide(
            Step.AGENT_APPROVAL,
            actor=HANDLER,
            approve=True,
            reason=None,
            now=NOW,
            signing_method=None,
            agent_review=REVIEW,
        )


def test_reopening_the_open_step_is_a_retry_not_a_second_step():
    order = placed()
    assert order.open_step(Step.AGENT_APPROVAL, NOW) is not None
    assert order.open_step(Step.AGENT_APPROVAL, NOW) is None


def test_a_direct_order_has_only_customer_attestation():
    order = placed(cmd=command(offering_id="direct", source_system=None, agent_org_id=None, declarations={}))
    assert order.chain == (Step.CUSTOMER_ATTESTATION,)
    with pytest.raises(StepOutOfOrder):
        order.open_step(Step.AGENT_APPROVAL, NOW)
    approve(order, Step.CUSTOMER_ATTESTATION)
    assert order.complete("CS2", NOW) is not None


def test_a_case_needs_every_step_approved():
    order = placed()
    approve(order, Step.AGENT_APPROVAL)
    with pytest.raises(StepOutOfOrder):
        order.complete("CS1", NOW)


@pytest.mark.parametrize(
    ("steps_before", "step", "status"),
    [
        ((), Step.AGENT_APPROVAL, OrderStatus.REJECTED),
        ((Step.AGENT_APPROVAL,), Step.AGENT_ATTESTATION, OrderStatus.CANCELLED),
        ((Step.AGENT_APPROVAL, Step.AGENT_ATTESTATION), Step.CUSTOMER_ATTESTATION, OrderStatus.CANCELLED),
    ],
)
def test_a_rejection_or_cancellation_at_any_step_ends_the_order_with_its_reason(steps_before, step, status):
    """R-ORD-3."""
    order = placed()
    for earlier in steps_before:
        approve(order, earlier)
    order.open_step(step, NOW)
    event = order.decide(
        step,
        actor=HANDLER,
        approve=False,
        reason="Wrong units",
        now=NOW,
        signing_method=None if step is Step.AGENT_APPROVAL else SMS,
    )
    assert order.status is status and order.outcome_reason == "Wrong units"
    assert event.note == "Wrong units"
    with pytest.raises(AlreadyDone):
        order.open_step(Step.CUSTOMER_ATTESTATION, NOW)


def test_attestation_without_a_signature_is_refused():
    """R-ORD-4."""
    order = placed(cmd=command(offering_id="direct", source_system=None, agent_org_id=None, declarations={}))
    order.open_step(Step.CUSTOMER_ATTESTATION, NOW)
    with pytest.raises(NotAllowed):
        order.decide(Step.CUSTOMER_ATTESTATION, actor=ATTESTER, approve=True, reason=None, now=NOW, signing_method=None)


def test_a_timeout_ends_an_open_order_once():
    order = placed()
    order.open_step(Step.AGENT_APPROVAL, NOW)
    assert order.time_out(NOW) is not None
    assert order.status is OrderStatus.TIMED_OUT and "agent_approval" in (order.outcome_reason or "")
    assert order.time_out(NOW) is None


def test_who_decides_each_step():
    """R-ORD-5."""
    order = placed()
    other_agents_handler = HANDLER.model_copy(update={"user_id": "other", "org_id": "other-agent"})
    assert assignees(order, Step.AGENT_APPROVAL, [HANDLER, other_agents_handler]) == ["handler"]
    approve(order, Step.AGENT_APPROVAL)
    assert assignees(order, Step.AGENT_ATTESTATION, []) == ["agent-attester"]
    assert assignees(order, Step.CUSTOMER_ATTESTATION, []) == ["attester"]
    assert ORDERER.user_id not in assignees(order, Step.CUSTOMER_ATTESTATION, [])
