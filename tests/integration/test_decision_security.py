"""Links and signatures: opening changes nothing, deciding is single-use and only the assignee's, attestation
needs a fresh one-time code (R-ORD-4, R-ORD-5), and the task token is never shown to anyone."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import pytest

from local.people import OverHttp, Person, Reply, Visitor, agent_review, direct_order, placed, via_agent_order


@pytest.fixture
def agent_approval(person):
    """A via-agent order waiting for its agent approval: (order id, approval id, hanna)."""
    olivia, hanna = person("olivia.orderer"), person("hanna.handler")
    order_id, number = placed(olivia.submit(via_agent_order()))
    return order_id, hanna.approval_link("granska beställning", number), hanna


@pytest.fixture
def customer_attestation(person):
    """A direct order waiting for Adam's attestation: (order id, approval id, adam)."""
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    order_id, number = placed(olivia.submit(direct_order()))
    return order_id, adam.approval_link("attestera beställning", number), adam


def history_actions(person, order_id):
    return [event["action"] for event in person.get(f"/api/orders/{order_id}").body["history"]]


def test_opening_a_link_changes_nothing(agent_approval, person, aws, served):
    """Mail scanners open links: neither a stranger (sent to sign in) nor the assignee (shown the step) changes
    anything by opening it."""
    order_id, approval_id, hanna = agent_approval
    before = history_actions(hanna, order_id)
    scanner, assignee = Visitor(served), Visitor(served).sign_in("hanna.handler")
    for _ in range(3):  # a mail scanner, a preview, the person
        assert hanna.get(f"/api/approvals/{approval_id}").status == 200
        assert scanner.get(f"/approvals/{approval_id}").status == 303
        assert assignee.get(f"/approvals/{approval_id}").status == 200
    assert history_actions(hanna, order_id) == before
    assert aws.execution(order_id)["status"] == "RUNNING"
    assert hanna.get(f"/api/approvals/{approval_id}").body["state"] == "open"


def test_the_page_behind_a_link_shows_nothing_without_sign_in(agent_approval, http, served):
    _, approval_id, _ = agent_approval
    stranger = Visitor(served)
    page = stranger.get(f"/approvals/{approval_id}")
    assert page.status == 303 and page.location == "/sign-in" and "RITM" not in page.html
    # Where the link led is remembered in a cookie, never in the address (the link's id is a secret).
    assert approval_id not in (page.location or "") and "__Host-return" in stranger.cookies
    assert http.request("GET", f"/api/approvals/{approval_id}", headers={}).status_code == 401


def test_a_double_click_on_a_decision_decides_once(agent_approval, person, aws):
    order_id, approval_id, hanna = agent_approval
    alva = person("alva.attester")
    decision = {"decision": "approve", "agent_review": agent_review()}
    first = hanna.post(f"/api/approvals/{approval_id}/decision", decision)
    second = hanna.post(f"/api/approvals/{approval_id}/decision", decision)
    assert first.status == 200
    assert second.status == 409
    assert "already been decided" in second.body["message"]
    assert history_actions(hanna, order_id).count("approved") == 1
    number = hanna.get(f"/api/orders/{order_id}").body["order"]["number"]
    alva.next_email("attestera beställning", number)  # the next step opens exactly once
    events = [e for e in hanna.get(f"/api/orders/{order_id}").body["history"] if e["action"] == "step_opened"]
    assert [e["step"] for e in events] == ["agent_approval", "agent_attestation"]


def all_at_once(person: Person, approval_id: str, bodies: list[dict[str, Any]]) -> list[Reply]:
    """Every body POSTed as its own request over real HTTP, released together."""
    start = Barrier(len(bodies))

    def send(body: dict[str, Any]) -> Reply:
        start.wait()
        return person.post(f"/api/approvals/{approval_id}/decision", body)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(send, bodies))


def test_ten_identical_decisions_at_once_have_one_winner_and_nine_clear_409s(served, aws, person):
    olivia = person("olivia.orderer")
    hanna = Person("hanna.handler", OverHttp(served), aws).sign_in()
    order_id, number = placed(olivia.submit(via_agent_order()))
    approval_id = hanna.approval_link("granska beställning", number)

    answers = all_at_once(hanna, approval_id, [{"decision": "approve", "agent_review": agent_review()}] * 10)
    assert sorted(a.status for a in answers) == [200] + [409] * 9, [(a.status, a.body) for a in answers]
    for lost in (a for a in answers if a.status == 409):
        assert lost.body["message"] == "This step has already been decided.", lost.body
    assert history_actions(hanna, order_id).count("approved") == 1


def test_approve_and_cancel_at_once_one_wins_and_the_other_is_told_it_lost(served, aws, person):
    olivia = person("olivia.orderer")
    adam = Person("adam.attester", OverHttp(served), aws).sign_in()
    order_id, number = placed(olivia.submit(direct_order()))
    approval_id = adam.approval_link("attestera beställning", number)
    code = adam.sign_with_code(approval_id)

    approve = {"decision": "approve", "one_time_code": code}
    cancel = {"decision": "reject", "reason": "Ordered twice.", "one_time_code": code}
    answers = all_at_once(adam, approval_id, [approve, cancel])
    assert sorted(a.status for a in answers) == [200, 409], [(a.status, a.body) for a in answers]
    lost = next(a for a in answers if a.status != 200)
    # Told that the step was decided, or, when the cancellation won, that the order has ended with it.
    assert lost.body["code"] in ("approvals.already_decided", "ordering.step_already_decided", "ordering.order_ended")
    assert "outcome" not in lost.body  # the loser is not handed the winner's outcome as its own
    history = history_actions(adam, order_id)
    assert history.count("approved") + history.count("cancelled") == 1


def test_a_replayed_link_after_the_decision_gets_a_clear_answer(agent_approval, person):
    order_id, approval_id, hanna = agent_approval
    hanna.post(f"/api/approvals/{approval_id}/decision", {"decision": "approve", "agent_review": agent_review()})
    hugo = person("hugo.handler")
    assert hugo.get(f"/api/approvals/{approval_id}").body["state"] == "decided"
    replay = hugo.post(f"/api/approvals/{approval_id}/decision", {"decision": "reject", "reason": "Too late"})
    assert replay.status == 409
    assert hugo.get(f"/api/orders/{order_id}").body["order"]["status"] == "in_progress"


def test_only_the_assignee_may_open_or_decide(agent_approval, person):
    _, approval_id, _ = agent_approval
    for outsider in ("olivia.orderer", "adam.attester", "alva.attester", "erik.handler"):
        intruder = person(outsider)
        assert intruder.get(f"/api/approvals/{approval_id}").status == 403
        refused = intruder.post(f"/api/approvals/{approval_id}/decision", {"decision": "reject", "reason": "No"})
        assert refused.status == 403, outsider
        assert "someone else" in refused.body["message"]
    # R-ORD-5: for agent approval, any case handler of that agent may decide.
    assert person("hugo.handler").get(f"/api/approvals/{approval_id}").status == 200


def test_an_unknown_or_malformed_link_is_refused_clearly(person):
    hanna = person("hanna.handler")
    assert hanna.get("/api/approvals/" + "A" * 32).status == 404
    assert hanna.get("/api/approvals/not-a-link").status == 400
    assert hanna.post("/api/approvals/" + "B" * 32 + "/decision", {"decision": "approve"}).status == 404


def test_the_agent_attester_must_be_an_attester_of_the_agent(agent_approval):
    _, approval_id, hanna = agent_approval
    for wrong in ("adam.attester", "hugo.handler", "nobody.at.all"):
        response = hanna.post(
            f"/api/approvals/{approval_id}/decision",
            {"decision": "approve", "agent_review": agent_review(attester_id=wrong)},
        )
        assert response.status == 422
        assert response.body["errors"][0]["field"] == "agent_review.attester_id"
    missing = hanna.post(f"/api/approvals/{approval_id}/decision", {"decision": "approve"})
    assert missing.status == 422 and missing.body["errors"][0]["field"] == "agent_review"


def test_attestation_needs_a_fresh_one_time_code(customer_attestation, aws):
    """R-ORD-4: signed in is not enough; a code sent at the moment of attesting signs."""
    order_id, approval_id, adam = customer_attestation
    no_code = adam.post(f"/api/approvals/{approval_id}/decision", {"decision": "approve"})
    assert no_code.status == 422 and no_code.body["errors"][0]["field"] == "one_time_code"
    never_sent = adam.post(f"/api/approvals/{approval_id}/decision", {"decision": "approve", "one_time_code": "123456"})
    assert never_sent.status == 422 and "Ask for a one-time code" in never_sent.body["message"]

    old_code = adam.sign_with_code(approval_id)
    new_code = adam.sign_with_code(approval_id)  # a new code replaces the old one
    if old_code != new_code:
        stale = adam.post(f"/api/approvals/{approval_id}/decision", {"decision": "approve", "one_time_code": old_code})
        assert stale.status == 422
    signed = adam.post(f"/api/approvals/{approval_id}/decision", {"decision": "approve", "one_time_code": new_code})
    assert signed.status == 200
    assert aws.wait_for_execution(order_id)["status"] == "SUCCEEDED"


def test_wrong_codes_are_counted_and_then_refused(customer_attestation):
    order_id, approval_id, adam = customer_attestation
    code = adam.sign_with_code(approval_id)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    answers = [
        adam.post(f"/api/approvals/{approval_id}/decision", {"decision": "approve", "one_time_code": wrong})
        for _ in range(5)
    ]
    assert [a.status for a in answers] == [422, 422, 422, 422, 422]
    assert "4 attempt(s) left" in answers[0].body["message"]
    # Attempts are used up: even the right code no longer signs; a new code must be asked for.
    exhausted = adam.post(f"/api/approvals/{approval_id}/decision", {"decision": "approve", "one_time_code": code})
    assert exhausted.status == 429
    assert adam.get(f"/api/orders/{order_id}").body["order"]["status"] == "in_progress"
    assert adam.attest(approval_id).status == 200


def test_agent_approval_needs_no_code_and_a_code_cannot_be_sent_for_it(agent_approval):
    _, approval_id, hanna = agent_approval
    assert hanna.get(f"/api/approvals/{approval_id}").body["needs_one_time_code"] is False
    assert hanna.post(f"/api/approvals/{approval_id}/code").status == 422


def test_an_attester_who_is_also_the_orderer_must_still_sign(person, aws):
    """R-ORD-4, seed 002: being signed in as the orderer does not attest."""
    ada = person("ada.admin")
    order_id, number = placed(ada.submit(direct_order(attester_id="ada.admin")))
    approval_id = ada.approval_link("attestera beställning", number)
    assert ada.post(f"/api/approvals/{approval_id}/decision", {"decision": "approve"}).status == 422
    assert ada.attest(approval_id).status == 200
    assert aws.wait_for_execution(order_id)["status"] == "SUCCEEDED"


def test_the_task_token_never_reaches_a_link_a_mail_a_page_or_a_response(agent_approval, aws, logs):
    order_id, approval_id, hanna = agent_approval
    history = aws.client("stepfunctions").get_execution_history(executionArn=aws.execution(order_id)["executionArn"])[
        "events"
    ]
    tokens = {
        json.loads(e["taskScheduledEventDetails"]["parameters"])["Payload"]["task_token"]
        for e in history
        if "taskScheduledEventDetails" in e
    }
    assert tokens
    seen = json.dumps(aws.sent_emails()) + json.dumps(aws.sent_sms())
    seen += json.dumps(hanna.get(f"/api/approvals/{approval_id}").body)
    seen += json.dumps(hanna.get(f"/api/orders/{order_id}").body)
    seen += hanna.http.request("GET", f"/approvals/{approval_id}", headers={}).body.decode()
    hanna.post(f"/api/approvals/{approval_id}/decision", {"decision": "approve", "agent_review": agent_review()})
    assert "Decision recorded" in logs.text  # the logs were captured, so their silence means something
    for token in tokens:
        assert token not in seen
        assert token not in logs.text
        assert token not in approval_id


def test_one_time_codes_links_and_phone_numbers_never_reach_the_logs(customer_attestation, aws, logs):
    order_id, approval_id, adam = customer_attestation
    adam.attest(approval_id)
    aws.wait_for_execution(order_id)
    code = adam.latest_code(0)
    assert "Decision recorded" in logs.text and "Case created" in logs.text
    assert approval_id not in logs.text
    # Six digits can occur inside hex ids or order numbers by chance; a code on its own must not occur.
    assert not re.search(rf"(?<![0-9A-Fa-f]){code}(?![0-9A-Fa-f])", logs.text)
    assert adam.phone not in logs.text
