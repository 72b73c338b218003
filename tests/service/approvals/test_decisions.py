"""Decision steps through approvals' ports: opening, showing, signing and deciding (R-ORD-2…6)."""

from __future__ import annotations

import pytest

from chalicelib.approvals.model import SubjectRef
from chalicelib.ordering.model import HistoryAction, Step
from chalicelib.shared.errors import AlreadyDone, Expired, InvalidRequest, NotAllowed, NotFound, StepOutOfOrder
from local.people import agent_review, direct_order, via_agent_order
from tests.fakes.world import FIRST, World
from tests.faults import crash_once


@pytest.fixture
def agent_approval(world: World) -> tuple[str, str]:
    order = world.submit("olivia.orderer", via_agent_order())
    return order.order_id, world.open_step(order.order_id, Step.AGENT_APPROVAL, token="the-task-token")


def test_opening_a_step_mails_each_assignee_a_link_and_lists_it_for_them(world: World, agent_approval):
    """R-ORD-5, R-ORD-6."""
    order_id, approval_id = agent_approval
    assert sorted(address for mail in world.mail.sent for address in mail.to) == [
        "hanna.handler@agent-cgm.example",
        "hugo.handler@agent-cgm.example",
    ]
    assert all(approval_id in mail.text and "the-task-token" not in mail.text for mail in world.mail.sent)
    for handler in ("hanna.handler", "hugo.handler"):
        pending = world.app.decisions.pending(world.actor(handler), FIRST).items
        assert [(line["order_id"], line["step"], line["customer_name"]) for line in pending] == [
            (order_id, "agent_approval", "Region Norrby")
        ]
    assert approval_id not in str(world.approvals.approvals)  # only its hash is stored


def test_viewing_a_step_changes_nothing(world: World, agent_approval):
    order_id, approval_id = agent_approval
    before = (world.store.commits, world.orders.get(order_id), world.approvals.approvals.copy())
    for _ in range(3):
        view = world.app.decisions.view(approval_id, world.actor("hanna.handler"))
    assert view["state"] == "open" and view["needs_one_time_code"] is False
    assert {"user_id": "alva.attester", "name": "Alva Attester"} in view["agent_attesters"]
    assert (world.store.commits, world.orders.get(order_id), world.approvals.approvals) == before


def test_only_an_assignee_may_see_or_decide(world: World, agent_approval):
    """R-ORD-5."""
    _, approval_id = agent_approval
    for outsider in ("olivia.orderer", "alva.attester", "erik.handler"):
        with pytest.raises(NotAllowed, match="someone else"):
            world.app.decisions.view(approval_id, world.actor(outsider))
        with pytest.raises(NotAllowed):
            world.decide(outsider, approval_id, "reject", reason="No")
    with pytest.raises(NotFound):
        world.app.decisions.view("A" * 32, world.actor("hanna.handler"))


def test_a_decision_is_single_use_and_reaches_the_workflow_once(world: World, agent_approval):
    order_id, approval_id = agent_approval
    result = world.decide("hanna.handler", approval_id, agent_review=agent_review())
    assert result["order_id"] == order_id and result["outcome"] == "approved"
    assert world.workflow.answers == {"the-task-token": {"outcome": "approved", "step": "agent_approval"}}
    with pytest.raises(AlreadyDone):
        world.decide("hugo.handler", approval_id, "reject", reason="Too late")
    assert world.app.decisions.pending(world.actor("hugo.handler"), FIRST).items == []
    history = (world.orders.with_history(order_id) or (None, []))[1]
    assert [event.action for event in history].count(HistoryAction.APPROVED) == 1


def test_the_agent_must_review_and_choose_an_attester_of_its_own(world: World, agent_approval):
    _, approval_id = agent_approval
    with pytest.raises(InvalidRequest) as missing:
        world.decide("hanna.handler", approval_id)
    assert missing.value.field == "agent_review"
    with pytest.raises(InvalidRequest) as foreign:
        world.decide("hanna.handler", approval_id, agent_review=agent_review(attester_id="adam.attester"))
    assert foreign.value.field == "agent_review.attester_id"


def test_a_retried_opening_keeps_the_link_and_its_mail_and_answers_the_new_task(world: World, agent_approval):
    """The workflow retries its task under a new token: no second mail, no second opening, the link works."""
    order_id, approval_id = agent_approval
    mails = len(world.mail.sent)
    assert world.open_step_again(order_id, Step.AGENT_APPROVAL, token="a-retried-token") == []
    assert len(world.mail.sent) == mails
    assert world.app.decisions.view(approval_id, world.actor("hanna.handler"))["state"] == "open"
    world.decide("hanna.handler", approval_id, agent_review=agent_review())
    assert world.workflow.answers == {"a-retried-token": {"outcome": "approved", "step": "agent_approval"}}
    history = (world.orders.with_history(order_id) or (None, []))[1]
    assert [event.action for event in history].count(HistoryAction.STEP_OPENED) == 1


def test_a_decision_made_before_the_retried_opening_reaches_the_new_task_at_once(world: World, agent_approval):
    """The accepted decision is never lost to a retry (it was: the retry refused the decided step)."""
    order_id, approval_id = agent_approval
    world.decide("hanna.handler", approval_id, agent_review=agent_review())
    world.open_step_again(order_id, Step.AGENT_APPROVAL, token="a-retried-token")
    assert world.workflow.answers["a-retried-token"] == {"outcome": "approved", "step": "agent_approval"}


def test_a_step_cannot_open_out_of_order(world: World):
    """R-ORD-2."""
    order = world.submit("olivia.orderer", via_agent_order())
    with pytest.raises(StepOutOfOrder):
        world.open_step(order.order_id, Step.CUSTOMER_ATTESTATION)
    assert world.mail.sent == [] and world.approvals.approvals == {}


def test_an_attestation_is_signed_with_a_fresh_code(world: World):
    """R-ORD-4: being the assignee is not enough."""
    order = world.submit("ada.admin", direct_order(attester_id="ada.admin"))
    approval_id = world.open_step(order.order_id, Step.CUSTOMER_ATTESTATION)
    assert world.app.decisions.view(approval_id, world.actor("ada.admin"))["needs_one_time_code"] is True
    with pytest.raises(InvalidRequest) as unsigned:
        world.decide("ada.admin", approval_id)
    assert unsigned.value.field == "one_time_code"
    world.attest("ada.admin", approval_id)
    history = (world.orders.with_history(order.order_id) or (None, []))[1]
    assert history[-1].signing_method == "sms_one_time_code" and history[-1].actor_id == "ada.admin"


def test_an_approval_step_sends_no_code(world: World, agent_approval):
    _, approval_id = agent_approval
    with pytest.raises(InvalidRequest, match="needs no code"):
        world.app.decisions.send_code(approval_id, world.actor("hanna.handler"))
    assert world.texts.sent == []


def test_a_stored_decision_reaches_the_workflow_even_when_the_answer_fails_at_first(
    world: World, agent_approval, monkeypatch
):
    """The person hears "decided" once it is stored; the outbox tries the answer again until it arrives."""
    _, approval_id = agent_approval
    calls = crash_once(monkeypatch, world.workflow, "answer")
    result = world.decide("hanna.handler", approval_id, agent_review=agent_review())
    assert result["outcome"] == "approved" and len(calls) == 2
    assert world.failed_deliveries == [("workflow.answer", "ConnectionError")]
    assert world.workflow.answers == {"the-task-token": {"outcome": "approved", "step": "agent_approval"}}
    for person in ("hanna.handler", "hugo.handler"):
        with pytest.raises(AlreadyDone):
            world.decide(person, approval_id, agent_review=agent_review())


def test_a_decision_after_the_step_timed_out_still_answers_and_changes_no_outcome(world: World, agent_approval):
    _, approval_id = agent_approval
    world.workflow.closed_tasks.add("the-task-token")
    result = world.decide("hanna.handler", approval_id, agent_review=agent_review())
    assert result["outcome"] == "approved" and world.workflow.answers == {}


def test_a_link_expires_with_its_step(world: World, agent_approval):
    _, approval_id = agent_approval
    world.clock.advance(hours=1)
    assert world.app.decisions.view(approval_id, world.actor("hanna.handler"))["state"] == "expired"
    with pytest.raises(Expired):
        world.decide("hanna.handler", approval_id, agent_review=agent_review())


def test_a_subject_of_an_unknown_kind_is_refused(world: World):
    with pytest.raises(InvalidRequest):
        world.app.decisions.open(SubjectRef(kind="spaceship", subject_id="1", step="launch"), "token", 60)


def test_a_decision_that_lost_the_race_for_the_code_is_told_the_step_was_decided(world: World, monkeypatch):
    """Approve and cancel sent at once: the one that finds the code used up by the other is a 409, not "ask for
    a code first"."""
    order = world.submit("olivia.orderer", direct_order())
    approval_id = world.open_step(order.order_id, Step.CUSTOMER_ATTESTATION)
    code = world.code_for("adam.attester", approval_id)
    decisions = world.app.decisions
    stale = decisions._approval_for(approval_id, world.actor("adam.attester"))  # read before the other commits
    world.decide("adam.attester", approval_id, one_time_code=code)

    monkeypatch.setattr(decisions, "_approval_for", lambda *_: stale.model_copy(deep=True))
    with pytest.raises(AlreadyDone, match="already been decided"):
        world.decide("adam.attester", approval_id, "reject", reason="Ordered twice.", one_time_code=code)
