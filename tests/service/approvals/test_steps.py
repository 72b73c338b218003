"""A step opened from the portal's lists, by its order and its step rather than its e-mailed link: the same rules
as the link (R-ORD-4, R-ORD-5, R-ORD-6), because after finding the approval both are one code path."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from chalicelib.approvals.model import ApprovalStatus, SubjectRef
from chalicelib.entrypoints.approvals import DecisionBody
from chalicelib.ordering.model import Ending, HistoryAction, Step
from chalicelib.ordering.steps import order_step
from chalicelib.shared.errors import AlreadyDone, DomainError, Expired, InvalidRequest, NotAllowed, NotFound
from local.people import agent_review, direct_order, via_agent_order
from tests.fakes.world import FIRST, World


@pytest.fixture
def agent_approval(world: World) -> tuple[SubjectRef, str]:
    """A via-agent order waiting for its agent approval: (the step, the link id hanna and hugo were mailed)."""
    order = world.submit("olivia.orderer", via_agent_order())
    approval_id = world.open_step(order.order_id, Step.AGENT_APPROVAL, token="the-task-token")
    return order_step(order.order_id, Step.AGENT_APPROVAL), approval_id


@pytest.fixture
def customer_attestation(world: World) -> tuple[SubjectRef, str]:
    order = world.submit("olivia.orderer", direct_order())
    approval_id = world.open_step(order.order_id, Step.CUSTOMER_ATTESTATION, token="the-task-token")
    return order_step(order.order_id, Step.CUSTOMER_ATTESTATION), approval_id


def actions(world: World, order_id: str) -> list[HistoryAction]:
    return [event.action for event in (world.orders.with_history(order_id) or (None, []))[1]]


def test_a_step_shows_what_its_link_shows_and_whether_the_mail_may_be_asked_for_again(world: World, agent_approval):
    ref, approval_id = agent_approval
    hanna = world.actor("hanna.handler")
    by_link = world.app.decisions.view(approval_id, hanna)
    by_step = world.app.decisions.view_step(ref, hanna)
    assert by_step == {**by_link, "resends_left": 3, "may_resend_request": True}
    assert by_step["state"] == "open" and by_step["order"]["order_id"] == ref.subject_id


def test_viewing_a_step_changes_nothing(world: World, agent_approval):
    """Nothing changes on view, as behind the link."""
    ref, _ = agent_approval

    def everything() -> tuple[Any, ...]:
        return (
            world.store.commits,
            world.orders.get(ref.subject_id),
            {key: approval.model_copy(deep=True) for key, approval in world.approvals.approvals.items()},
            dict(world.approvals.resent),
            dict(world.outbox.messages),
            len(world.mail.sent),
            len(world.texts.sent),
        )

    before = everything()
    for _ in range(3):
        world.app.decisions.view_step(ref, world.actor("hanna.handler"))
        world.flush()
    assert everything() == before


def test_only_an_assignee_may_see_sign_decide_or_have_the_mail_again(world: World, agent_approval):
    """R-ORD-5: the step is reached by anyone who knows the order's id, so the assignee check is what guards it."""
    ref, _ = agent_approval
    decisions = world.app.decisions
    for outsider in ("olivia.orderer", "alva.attester", "adam.attester", "erik.handler"):
        actor = world.actor(outsider)
        with pytest.raises(NotAllowed, match="someone else"):
            decisions.view_step(ref, actor)
        with pytest.raises(NotAllowed):
            decisions.send_code_for_step(ref, actor)
        with pytest.raises(NotAllowed):
            world.decide_step(outsider, ref, "reject", reason="No")
        with pytest.raises(NotAllowed):
            decisions.resend_request(ref, actor)
    assert decisions.view_step(ref, world.actor("hugo.handler"))["state"] == "open"  # any of the agent's handlers
    assert "approved" not in [action.value for action in actions(world, ref.subject_id)]


def test_a_step_not_opened_or_not_of_this_subject_is_not_found(world: World, agent_approval):
    ref, _ = agent_approval
    hanna = world.actor("hanna.handler")
    not_opened = order_step(ref.subject_id, Step.AGENT_ATTESTATION)
    for missing in (
        not_opened,
        order_step("no-such-order", Step.AGENT_APPROVAL),
        SubjectRef(kind="spaceship", subject_id=ref.subject_id, step=ref.step),
    ):
        with pytest.raises(NotFound) as refused:
            world.app.decisions.view_step(missing, hanna)
        assert refused.value.code == "approvals.no_such_step"
        with pytest.raises(NotFound):
            world.decide_step("hanna.handler", missing, agent_review=agent_review())
        with pytest.raises(NotFound):
            world.app.decisions.resend_request(missing, hanna)
        with pytest.raises(NotFound):
            world.app.decisions.send_code_for_step(missing, hanna)


def test_a_decision_by_step_is_single_use_and_reaches_the_workflow_once(world: World, agent_approval):
    ref, approval_id = agent_approval
    result = world.decide_step("hanna.handler", ref, agent_review=agent_review())
    assert result == {
        "step": "agent_approval",
        "outcome": "approved",
        "kind": "order",
        "subject_id": ref.subject_id,
        "order_id": ref.subject_id,
    }
    assert world.workflow.answers == {"the-task-token": {"outcome": "approved", "step": "agent_approval"}}
    with pytest.raises(AlreadyDone, match="already been decided"):
        world.decide_step("hugo.handler", ref, "reject", reason="Too late")
    with pytest.raises(AlreadyDone, match="already been decided"):  # the link is the same step
        world.decide("hugo.handler", approval_id, "reject", reason="Too late")
    view = world.app.decisions.view_step(ref, world.actor("hugo.handler"))
    assert (view["state"], view["outcome"], view["may_resend_request"]) == ("decided", "approved", False)
    assert actions(world, ref.subject_id).count(HistoryAction.APPROVED) == 1


def test_when_one_case_handler_decides_the_step_leaves_every_handlers_list(world: World, agent_approval):
    """R-ORD-6: both of the agent's case handlers see the step until one of them decides it."""
    ref, _ = agent_approval
    for handler in ("hanna.handler", "hugo.handler"):
        lines = world.app.decisions.pending(world.actor(handler), FIRST).items
        assert [(line["order_id"], line["step"]) for line in lines] == [(ref.subject_id, "agent_approval")]
    world.decide_step("hugo.handler", ref, agent_review=agent_review())
    for handler in ("hanna.handler", "hugo.handler"):
        assert world.app.decisions.pending(world.actor(handler), FIRST).items == []
    world.open_step(ref.subject_id, Step.AGENT_ATTESTATION)
    lines = world.app.decisions.pending(world.actor("alva.attester"), FIRST).items
    assert [(line["order_id"], line["step"]) for line in lines] == [(ref.subject_id, "agent_attestation")]


def test_a_decision_by_step_that_loses_to_one_by_link_is_told_the_step_was_decided(
    world: World, agent_approval, monkeypatch
):
    """Both read the step open; the link's decision commits first; the step's then loses at commit, with the
    same 409 reason as two clicks on a link."""
    ref, approval_id = agent_approval
    decisions = world.app.decisions
    stale = decisions._approval_of_step(ref, world.actor("hugo.handler"))
    world.decide("hanna.handler", approval_id, agent_review=agent_review())

    monkeypatch.setattr(decisions, "_approval_of_step", lambda *_: stale.model_copy(deep=True))
    with pytest.raises(AlreadyDone) as lost:
        world.decide_step("hugo.handler", ref, "reject", reason="Not our customer.")
    assert lost.value.message == "This step has already been decided."
    assert actions(world, ref.subject_id).count(HistoryAction.APPROVED) == 1
    assert HistoryAction.REJECTED not in actions(world, ref.subject_id)


def test_a_decision_by_link_that_loses_to_one_by_step_is_told_the_step_was_decided(
    world: World, agent_approval, monkeypatch
):
    ref, approval_id = agent_approval
    decisions = world.app.decisions
    stale = decisions._approval_for(approval_id, world.actor("hanna.handler"))
    world.decide_step("hugo.handler", ref, "reject", reason="Not our customer.")

    monkeypatch.setattr(decisions, "_approval_for", lambda *_: stale.model_copy(deep=True))
    with pytest.raises(AlreadyDone) as lost:  # 409, as two decisions by link racing each other are told
        world.decide("hanna.handler", approval_id, agent_review=agent_review())
    assert lost.value.message == "The order has already ended (rejected)."
    assert world.workflow.answers == {"the-task-token": {"outcome": "rejected", "step": "agent_approval"}}


def test_an_attestation_by_step_and_one_by_link_with_the_same_code_have_one_winner(
    world: World, customer_attestation, monkeypatch
):
    """R-ORD-4: the code signs the step however it was reached; the loser is told the step was decided, not to
    ask for a code (the winner used it up)."""
    ref, approval_id = customer_attestation
    code = world.code_for_step("adam.attester", ref)
    decisions = world.app.decisions
    stale = decisions._approval_for(approval_id, world.actor("adam.attester"))
    world.decide_step("adam.attester", ref, one_time_code=code)

    monkeypatch.setattr(decisions, "_approval_for", lambda *_: stale.model_copy(deep=True))
    with pytest.raises(AlreadyDone, match="already been decided"):
        world.decide("adam.attester", approval_id, "reject", reason="Ordered twice.", one_time_code=code)
    assert actions(world, ref.subject_id).count(HistoryAction.APPROVED) == 1


def test_many_decisions_by_step_and_by_link_at_once_have_one_winner(world: World, agent_approval):
    ref, approval_id = agent_approval
    decisions = world.app.decisions
    body = DecisionBody.model_validate({"decision": "approve", "agent_review": agent_review()})
    start = threading.Barrier(8)

    def send(n: int) -> str:
        actor = world.actor("hanna.handler" if n % 2 else "hugo.handler")
        start.wait()
        try:
            if n % 2:
                decisions.decide_step(ref, actor, body, body.agent_review)
            else:
                decisions.decide(approval_id, actor, body, body.agent_review)
        except DomainError as refusal:
            return f"{type(refusal).__name__}: {refusal.message}"
        return "decided"

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(send, range(8)))
    assert sorted(answers) == ["AlreadyDone: This step has already been decided."] * 7 + ["decided"], answers
    world.flush()
    assert actions(world, ref.subject_id).count(HistoryAction.APPROVED) == 1
    assert len(world.workflow.answers) == 1


def test_an_attestation_by_step_needs_a_fresh_one_time_code(world: World):
    """R-ORD-4: an attester who is also the orderer, signed in, must still sign with a code sent now."""
    order = world.submit("ada.admin", direct_order(attester_id="ada.admin"))
    world.open_step(order.order_id, Step.CUSTOMER_ATTESTATION)
    ref = order_step(order.order_id, Step.CUSTOMER_ATTESTATION)
    assert world.app.decisions.view_step(ref, world.actor("ada.admin"))["needs_one_time_code"] is True
    with pytest.raises(InvalidRequest) as unsigned:
        world.decide_step("ada.admin", ref)
    assert unsigned.value.field == "one_time_code"
    with pytest.raises(InvalidRequest, match="Ask for a one-time code first"):
        world.decide_step("ada.admin", ref, one_time_code="123456")
    code = world.code_for_step("ada.admin", ref)
    world.decide_step("ada.admin", ref, one_time_code=code)
    history = (world.orders.with_history(order.order_id) or (None, []))[1]
    assert history[-1].signing_method == "sms_one_time_code" and history[-1].actor_id == "ada.admin"


def test_a_code_asked_for_through_the_link_signs_the_step_and_the_other_way_round(world: World):
    """One approval, one code challenge: the two ways to a step are one step."""
    order = world.submit("olivia.orderer", direct_order())
    approval_id = world.open_step(order.order_id, Step.CUSTOMER_ATTESTATION)
    ref = order_step(order.order_id, Step.CUSTOMER_ATTESTATION)
    world.code_for("adam.attester", approval_id)
    code = world.code_for_step("adam.attester", ref)  # a new code replaces the link's
    world.decide("adam.attester", approval_id, one_time_code=code)
    assert actions(world, order.order_id).count(HistoryAction.APPROVED) == 1


def test_an_approval_step_sends_no_code_by_step_either(world: World, agent_approval):
    ref, _ = agent_approval
    with pytest.raises(InvalidRequest, match="needs no code"):
        world.app.decisions.send_code_for_step(ref, world.actor("hanna.handler"))
    assert world.texts.sent == []


def test_an_expired_step_refuses_everything_but_being_shown(world: World, customer_attestation):
    ref, _ = customer_attestation
    adam = world.actor("adam.attester")
    world.clock.advance(hours=1)
    view = world.app.decisions.view_step(ref, adam)
    assert (view["state"], view["resends_left"], view["may_resend_request"]) == ("expired", 0, False)
    with pytest.raises(Expired, match="expired"):
        world.app.decisions.send_code_for_step(ref, adam)
    with pytest.raises(Expired):
        world.decide_step("adam.attester", ref, one_time_code="123456")
    with pytest.raises(Expired):
        world.app.decisions.resend_request(ref, adam)


def test_a_superseded_step_refuses(world: World, agent_approval):
    ref, _ = agent_approval
    approval = world.approvals.current(ref)
    assert approval is not None
    world.approvals.approvals[approval.key].status = ApprovalStatus.SUPERSEDED
    hanna = world.actor("hanna.handler")
    assert world.app.decisions.view_step(ref, hanna)["state"] == "expired"
    with pytest.raises(Expired, match="replaced"):
        world.decide_step("hanna.handler", ref, agent_review=agent_review())
    with pytest.raises(Expired, match="replaced"):
        world.app.decisions.resend_request(ref, hanna)


def test_a_step_whose_order_ended_meanwhile_is_shown_expired_and_refuses(world: World, agent_approval):
    """The workflow timed the step out (R-ORD-3) before anyone decided."""
    ref, _ = agent_approval
    world.app.endings.close(ref.subject_id, Ending.TIMED_OUT)
    world.flush()
    hanna = world.actor("hanna.handler")
    assert world.app.decisions.view_step(ref, hanna)["state"] == "expired"
    with pytest.raises(DomainError):
        world.decide_step("hanna.handler", ref, agent_review=agent_review())
    with pytest.raises(Expired):
        world.app.decisions.resend_request(ref, hanna)
    assert HistoryAction.APPROVED not in actions(world, ref.subject_id)
