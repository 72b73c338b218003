"""Asking for a step's request mail again: to the assignee who asks only, with the link the step has, through
the outbox, a few times per assignee and step, and only while the step is open (R-ORD-5, R-ORD-6)."""

from __future__ import annotations

import pytest

from chalicelib.approvals.model import MAX_RESENDS_PER_ASSIGNEE, SubjectRef
from chalicelib.approvals.services import REQUEST_DECISION
from chalicelib.ordering.model import Step
from chalicelib.ordering.steps import order_step
from chalicelib.shared.errors import AlreadyDone, NotAllowed, TooManyAttempts
from local.people import agent_review, direct_order, via_agent_order
from tests.fakes.world import World

HANNA = "hanna.handler@agent-cgm.example"
HUGO = "hugo.handler@agent-cgm.example"


@pytest.fixture
def agent_approval(world: World) -> tuple[SubjectRef, str]:
    order = world.submit("olivia.orderer", via_agent_order())
    approval_id = world.open_step(order.order_id, Step.AGENT_APPROVAL)
    return order_step(order.order_id, Step.AGENT_APPROVAL), approval_id


def test_the_mail_goes_again_to_the_assignee_who_asks_only_with_the_same_link(world: World, agent_approval):
    ref, approval_id = agent_approval
    [first] = world.mail.to(HANNA)
    result = world.app.decisions.resend_request(ref, world.actor("hanna.handler"))
    assert result == {
        "step": "agent_approval",
        "kind": "order",
        "subject_id": ref.subject_id,
        "order_id": ref.subject_id,
        "sent_to": HANNA,
        "resends_left": MAX_RESENDS_PER_ASSIGNEE - 1,
    }
    before = len(world.mail.sent)
    world.flush()
    [again] = world.mail.sent[before:]
    assert again.to == [HANNA]
    assert again.subject == first.subject and world.link_in(again) == approval_id
    assert len(world.mail.to(HUGO)) == 1  # the other case handler is not mailed again


def test_the_resent_mail_is_a_request_of_its_own_in_the_outbox(world: World, agent_approval):
    """The same kind as the first mail (so its link is made from the seed when sent), under a new key each time,
    so the outbox does not take it for the first."""
    ref, approval_id = agent_approval
    [first] = [m for m in world.outbox.messages.values() if m.kind == REQUEST_DECISION and m.payload["to"] == HANNA]
    world.resend("hanna.handler", ref)
    world.resend("hanna.handler", ref)
    new = [world.outbox.messages[key] for key in world.outbox.order if key.startswith(f"{first.key}:")]
    assert [message.key for message in new] == [f"{first.key}:again:1", f"{first.key}:again:2"]
    assert {message.kind for message in new} == {REQUEST_DECISION}
    assert [message.payload["to"] for message in new] == [HANNA, HANNA]
    assert {message.payload["seed"] for message in new} == {first.payload["seed"]}
    assert approval_id not in str([message.payload for message in new])  # the seed, never the link


def test_asking_through_the_link_sends_the_same_mail(world: World, agent_approval):
    _, approval_id = agent_approval
    [again] = world.resend("hugo.handler", approval_id)
    assert again.to == [HUGO] and world.link_in(again) == approval_id


def test_the_mail_is_sent_again_a_few_times_per_assignee_and_step(world: World, agent_approval):
    ref, _ = agent_approval
    decisions = world.app.decisions
    hanna = world.actor("hanna.handler")
    for left in range(MAX_RESENDS_PER_ASSIGNEE - 1, -1, -1):
        assert decisions.resend_request(ref, hanna)["resends_left"] == left
    world.flush()
    with pytest.raises(TooManyAttempts) as refused:
        decisions.resend_request(ref, hanna)
    assert refused.value.code == "approvals.too_many_resends"
    assert refused.value.message == "The e-mail for this step has been sent to you again 3 times; use the latest."
    assert len(world.mail.to(HANNA)) == 1 + MAX_RESENDS_PER_ASSIGNEE
    view = decisions.view_step(ref, hanna)
    assert (view["state"], view["resends_left"], view["may_resend_request"]) == ("open", 0, False)
    # Per assignee: the other case handler has all of theirs.
    assert decisions.view_step(ref, world.actor("hugo.handler"))["resends_left"] == MAX_RESENDS_PER_ASSIGNEE
    assert len(world.resend("hugo.handler", ref)) == 1


def test_a_decided_step_sends_no_mail_again(world: World, agent_approval):
    ref, approval_id = agent_approval
    world.decide_step("hugo.handler", ref, agent_review=agent_review())
    before = len(world.mail.sent)
    for asking in (ref, approval_id):
        with pytest.raises(AlreadyDone, match="already been decided"):
            world.resend("hanna.handler", asking)
    assert world.mail.sent[before:] == []


def test_only_an_assignee_may_have_the_mail_again(world: World, agent_approval):
    """R-ORD-5: nobody else gets the step's link by asking for it."""
    ref, approval_id = agent_approval
    before = len(world.mail.sent)
    for outsider in ("olivia.orderer", "alva.attester", "erik.handler"):
        for asking in (ref, approval_id):
            with pytest.raises(NotAllowed, match="someone else"):
                world.resend(outsider, asking)
    assert world.mail.sent[before:] == []


def test_a_resend_that_meets_a_decision_is_refused_as_the_decision_would_be(world: World, agent_approval, monkeypatch):
    """Read open, decided before the resend commits: the resend's condition fails, it looks again and refuses."""
    ref, _ = agent_approval
    decisions = world.app.decisions
    real = world.approvals.resends

    def decided_meanwhile(key: str, user_id: str) -> int:
        monkeypatch.setattr(world.approvals, "resends", real)
        read = real(key, user_id)
        world.decide_step("hugo.handler", ref, agent_review=agent_review())
        return read

    monkeypatch.setattr(world.approvals, "resends", decided_meanwhile)
    before = len(world.mail.sent)
    with pytest.raises(AlreadyDone):
        decisions.resend_request(ref, world.actor("hanna.handler"))
    world.flush()
    assert [
        mail for mail in world.mail.sent[before:] if HANNA in mail.to and "granska beställning" in mail.subject
    ] == []


def test_two_resends_at_once_are_both_counted(world: World, agent_approval, monkeypatch):
    """Both read the same count; one commits, the other finds the count changed, reads again and is counted
    next, under the next key: two mails, two counted, none past the limit."""
    ref, _ = agent_approval
    decisions = world.app.decisions
    hanna = world.actor("hanna.handler")
    real = world.approvals.resends

    def another_at_once(key: str, user_id: str) -> int:
        monkeypatch.setattr(world.approvals, "resends", real)
        read = real(key, user_id)
        decisions.resend_request(ref, hanna)
        return read

    monkeypatch.setattr(world.approvals, "resends", another_at_once)
    assert decisions.resend_request(ref, hanna)["resends_left"] == MAX_RESENDS_PER_ASSIGNEE - 2
    world.flush()
    assert len(world.mail.to(HANNA)) == 3
    approval = world.approvals.current(ref)
    assert approval is not None and world.approvals.resends(approval.key, "hanna.handler") == 2


def test_an_attester_may_have_the_attestation_mail_again(world: World):
    order = world.submit("olivia.orderer", direct_order())
    approval_id = world.open_step(order.order_id, Step.CUSTOMER_ATTESTATION)
    [again] = world.resend("adam.attester", order_step(order.order_id, Step.CUSTOMER_ATTESTATION))
    assert "attestera beställning" in again.subject and world.link_in(again) == approval_id
    world.attest("adam.attester", world.link_in(again))  # the resent link decides
