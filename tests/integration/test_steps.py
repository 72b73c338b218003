"""A step opened from the portal's lists by its order and its step, on the embedded AWS, the real workflow
waiting: the same rules as the e-mailed link (R-ORD-4, R-ORD-5, R-ORD-6), and the request mail sent again.

No route serves these yet (the portal comes later), so the tests call the services the routes will call."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import pytest

from chalicelib.approvals.model import MAX_RESENDS_PER_ASSIGNEE, SubjectRef
from chalicelib.bootstrap import container
from chalicelib.entrypoints.approvals import DecisionBody
from chalicelib.ordering.model import Step
from chalicelib.ordering.steps import order_step
from chalicelib.shared.errors import (
    AlreadyDone,
    DomainError,
    Expired,
    InvalidRequest,
    NotAllowed,
    NotFound,
    TooManyAttempts,
)
from chalicelib.shared.identity import Actor
from local.people import LINK, OverHttp, Person, agent_review, direct_order, placed, via_agent_order


def actor(user_id: str) -> Actor:
    person = container().adapters.directory.person(user_id)
    assert person is not None, user_id
    return Actor(signed_in=person)


def decide_step(user_id: str, ref: SubjectRef, **body: Any) -> dict[str, Any]:
    decision = DecisionBody.model_validate(body)
    return container().decisions.decide_step(ref, actor(user_id), decision, decision.agent_review)


def history_actions(person: Person, order_id: str) -> list[str]:
    return [event["action"] for event in person.get(f"/api/orders/{order_id}").body["history"]]


def pending_orders(person: Person) -> list[str]:
    return [line["order_id"] for line in person.get("/api/pending?limit=100").body["pending"]]


def link_in(mail: dict[str, Any]) -> str:
    match = LINK.search(mail["body"])
    assert match is not None, mail["subject"]
    return match["id"]


@pytest.fixture
def agent_approval(person):
    """A via-agent order waiting for its agent approval: (the step, its link id, olivia, hanna, hugo)."""
    olivia, hanna, hugo = person("olivia.orderer"), person("hanna.handler"), person("hugo.handler")
    order_id, number = placed(olivia.submit(via_agent_order()))
    approval_id = hanna.approval_link("granska beställning", number)
    hugo.next_email("review order", number)
    return order_step(order_id, Step.AGENT_APPROVAL), approval_id, number, hanna, hugo


def test_a_step_from_the_list_is_shown_like_its_link_and_showing_it_changes_nothing(agent_approval, aws):
    ref, approval_id, _, hanna, _ = agent_approval
    decisions = container().decisions
    before = history_actions(hanna, ref.subject_id)
    for _ in range(3):
        shown = decisions.view_step(ref, actor("hanna.handler"))
    assert shown == {
        **decisions.view(approval_id, actor("hanna.handler")),
        "resends_left": 3,
        "may_resend_request": True,
    }
    assert shown["state"] == "open" and shown["order"]["order_id"] == ref.subject_id
    assert history_actions(hanna, ref.subject_id) == before
    assert aws.execution(ref.subject_id)["status"] == "RUNNING"
    assert hanna.get(f"/api/approvals/{approval_id}").body["state"] == "open"


def test_only_an_assignee_reaches_a_step_and_a_step_not_opened_is_not_found(agent_approval):
    """R-ORD-5."""
    ref, _, _, _, _ = agent_approval
    decisions = container().decisions
    for outsider in ("olivia.orderer", "adam.attester", "alva.attester", "erik.handler"):
        with pytest.raises(NotAllowed, match="someone else"):
            decisions.view_step(ref, actor(outsider))
        with pytest.raises(NotAllowed):
            decide_step(outsider, ref, decision="reject", reason="No")
        with pytest.raises(NotAllowed):
            decisions.resend_request(ref, actor(outsider))
    for missing in (
        order_step(ref.subject_id, Step.AGENT_ATTESTATION),
        order_step("no-such-order", Step.AGENT_APPROVAL),
    ):
        with pytest.raises(NotFound, match="not been opened"):
            decisions.view_step(missing, actor("hanna.handler"))
        with pytest.raises(NotFound):
            decide_step("hanna.handler", missing, decision="approve", agent_review=agent_review())


def test_when_one_handler_decides_by_step_the_step_leaves_both_handlers_lists(agent_approval, person):
    """R-ORD-6, read through the API as the portal reads it."""
    ref, approval_id, number, hanna, hugo = agent_approval
    for handler in (hanna, hugo):
        assert ref.subject_id in pending_orders(handler)
    result = decide_step("hugo.handler", ref, decision="approve", agent_review=agent_review())
    assert result["outcome"] == "approved" and result["order_id"] == ref.subject_id
    alva = person("alva.attester")
    alva.next_email("attestera beställning", number)  # the workflow heard the decision and went on
    for handler in (hanna, hugo):
        assert ref.subject_id not in pending_orders(handler)
    assert ref.subject_id in pending_orders(alva)
    late = hanna.post(f"/api/approvals/{approval_id}/decision", {"decision": "reject", "reason": "Too late"})
    assert late.status == 409 and late.body["message"] == "This step has already been decided."
    assert history_actions(hanna, ref.subject_id).count("approved") == 1


def test_decisions_by_step_and_by_link_at_once_have_one_winner(served, aws, person):
    olivia, alva = person("olivia.orderer"), person("alva.attester")
    hanna = Person("hanna.handler", OverHttp(served), aws).sign_in()
    order_id, number = placed(olivia.submit(via_agent_order()))
    approval_id = hanna.approval_link("granska beställning", number)
    ref = order_step(order_id, Step.AGENT_APPROVAL)
    body = {"decision": "approve", "agent_review": agent_review()}
    start = Barrier(6)

    def send(n: int) -> tuple[int, str]:
        start.wait()
        if n % 2:
            reply = hanna.post(f"/api/approvals/{approval_id}/decision", body)
            return reply.status, "" if reply.status == 200 else reply.body["message"]
        try:
            decide_step("hugo.handler" if n % 4 else "hanna.handler", ref, **body)
        except AlreadyDone as lost:
            return 409, lost.message
        return 200, ""

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(send, range(6)))
    assert sorted(answers) == [(200, "")] + [(409, "This step has already been decided.")] * 5, answers
    assert history_actions(olivia, order_id).count("approved") == 1
    alva.next_email("attestera beställning", number)  # the next step opens exactly once
    events = [e for e in olivia.get(f"/api/orders/{order_id}").body["history"] if e["action"] == "step_opened"]
    assert [e["step"] for e in events] == ["agent_approval", "agent_attestation"]


def test_an_attestation_by_step_needs_a_fresh_one_time_code(person, aws):
    """R-ORD-4: signed in is not enough."""
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    order_id, number = placed(olivia.submit(direct_order()))
    adam.approval_link("attestera beställning", number)
    ref = order_step(order_id, Step.CUSTOMER_ATTESTATION)
    decisions = container().decisions
    assert decisions.view_step(ref, actor("adam.attester"))["needs_one_time_code"] is True
    with pytest.raises(InvalidRequest) as unsigned:
        decide_step("adam.attester", ref, decision="approve")
    assert unsigned.value.field == "one_time_code"

    before = len(aws.sent_sms())
    decisions.send_code_for_step(ref, actor("adam.attester"))
    code = adam.latest_code(before)
    assert decide_step("adam.attester", ref, decision="approve", one_time_code=code)["outcome"] == "approved"
    assert aws.wait_for_execution(order_id)["status"] == "SUCCEEDED"
    attested = [e for e in adam.get(f"/api/orders/{order_id}").body["history"] if e["action"] == "approved"]
    assert [(e["actor_id"], e["signing_method"]) for e in attested] == [("adam.attester", "sms_one_time_code")]


def test_the_request_mail_goes_again_to_the_asker_only_with_the_same_link_a_few_times(agent_approval, aws):
    ref, approval_id, number, hanna, hugo = agent_approval
    decisions = container().decisions
    answers = [decisions.resend_request(ref, actor("hanna.handler")) for _ in range(MAX_RESENDS_PER_ASSIGNEE - 1)]
    answers.append(decisions.resend_request(approval_id, actor("hanna.handler")))  # asked through the link
    assert [a["resends_left"] for a in answers] == list(range(MAX_RESENDS_PER_ASSIGNEE - 1, -1, -1))
    assert {a["sent_to"] for a in answers} == {hanna.email}
    again = [hanna.next_email("granska beställning", number) for _ in range(MAX_RESENDS_PER_ASSIGNEE)]
    assert {link_in(mail) for mail in again} == {approval_id}
    assert len({mail["id"] for mail in again}) == MAX_RESENDS_PER_ASSIGNEE  # three mails, none taken for another

    with pytest.raises(TooManyAttempts, match="sent to you again 3 times"):
        decisions.resend_request(ref, actor("hanna.handler"))
    about_it = [
        m
        for m in aws.sent_emails()
        if number in m["subject"] and ("granska beställning" in m["subject"] or "review order" in m["subject"])
    ]
    assert sorted(address for mail in about_it for address in mail["to"]) == [hanna.email] * 4 + [hugo.email]
    assert decisions.view_step(ref, actor("hanna.handler"))["may_resend_request"] is False
    assert decisions.view_step(ref, actor("hugo.handler"))["resends_left"] == MAX_RESENDS_PER_ASSIGNEE


def test_a_decided_step_sends_its_mail_again_to_nobody(agent_approval, aws):
    ref, approval_id, number, _, hugo = agent_approval
    decide_step("hanna.handler", ref, decision="reject", reason="Not our customer.")
    aws.wait_for_execution(ref.subject_id)
    for asking in (ref, approval_id):
        with pytest.raises(AlreadyDone):
            container().decisions.resend_request(asking, actor("hugo.handler"))
    hugo.next_email("has ended", number)  # what the rejection owed hugo arrived, and no request again
    requests = [m for m in aws.sent_emails() if hugo.email in m["to"] and f"review order {number}" in m["subject"]]
    assert len(requests) == 1


def test_a_step_that_timed_out_is_shown_expired_and_refuses(person, aws, short_decision_timeout):
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    order_id, number = placed(olivia.submit(direct_order()))
    adam.approval_link("attestera beställning", number)
    ref = order_step(order_id, Step.CUSTOMER_ATTESTATION)
    assert aws.wait_for_execution(order_id)["status"] == "SUCCEEDED"  # ended by its timeout
    decisions = container().decisions
    shown = decisions.view_step(ref, actor("adam.attester"))
    assert (shown["state"], shown["may_resend_request"]) == ("expired", False)
    with pytest.raises(Expired):
        decisions.send_code_for_step(ref, actor("adam.attester"))
    with pytest.raises(DomainError):
        decide_step("adam.attester", ref, decision="approve", one_time_code="123456")
    with pytest.raises(Expired):
        decisions.resend_request(ref, actor("adam.attester"))
    assert olivia.get(f"/api/orders/{order_id}").body["order"]["status"] == "timed_out"
