"""A crash between two writes creates, loses and duplicates nothing: each change and what it owes (a mail, the
workflow's start, the answer to a waiting task) are one write, and the outbox tries the second part again."""

from __future__ import annotations

import uuid

from chalicelib.bootstrap import container
from chalicelib.ordering.steps import order_step
from local.people import agent_review, direct_order, placed, via_agent_order
from tests.faults import crash_once


def test_a_failed_start_of_the_workflow_after_the_order_is_stored_is_tried_again(person, aws, monkeypatch):
    """It used to answer 500 and leave an order that only a resubmit with the same key could start."""
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    calls = crash_once(monkeypatch, container().adapters.workflow, "start")

    order_id, number = placed(olivia.submit(direct_order(), uuid.uuid4().hex))
    assert adam.attest(adam.approval_link("attestera beställning", number)).status == 200  # the execution did start
    assert len(calls) == 2
    mine = [o["order_id"] for o in olivia.get("/api/orders?scope=mine&limit=100").body["orders"]]
    assert mine.count(order_id) == 1
    assert aws.wait_for_execution(order_id)["status"] == "SUCCEEDED"


def test_a_resubmit_with_the_same_key_finds_the_same_order(person, aws):
    olivia = person("olivia.orderer")
    key = uuid.uuid4().hex
    first = olivia.submit(direct_order(), key)
    again = olivia.submit(direct_order(), key)
    assert first.status == again.status == 201 and first.body == again.body
    assert aws.execution(first.body["order_id"])["name"] == first.body["order_id"]


def test_a_failed_mail_of_a_step_is_sent_once_on_the_next_attempt(person, aws, monkeypatch):
    olivia, hanna = person("olivia.orderer"), person("hanna.handler")
    calls = crash_once(monkeypatch, container().adapters.mail, "send")
    order_id, number = placed(olivia.submit(via_agent_order()))

    approval_id = hanna.approval_link("granska beställning", number)  # sent by the outbox's second attempt
    assert len(calls) >= 2
    assert (
        hanna.post(
            f"/api/approvals/{approval_id}/decision", {"decision": "approve", "agent_review": agent_review()}
        ).status
        == 200
    )
    history = olivia.get(f"/api/orders/{order_id}").body["history"]
    opened = [e["step"] for e in history if e["action"] == "step_opened"]
    assert opened.count("agent_approval") == 1  # R-ORD-2: the step opened once
    requests = [m for m in aws.sent_emails() if hanna.email in m["to"] and number in m["subject"]]
    assert len(requests) == 1  # and mailed once


def test_a_retried_opening_keeps_the_mailed_link_working(person, aws):
    """The workflow retries a step's task (as after a crash) under a new token: the step keeps its one link
    and its one mail, and the decision answers the retried task."""
    olivia, hanna = person("olivia.orderer"), person("hanna.handler")
    order_id, number = placed(olivia.submit(via_agent_order()))
    approval_id = hanna.approval_link("granska beställning", number)
    order, _ = container().adapters.orders.get(order_id) or (None, 0)
    assert order is not None and order.current_step is not None
    container().decisions.open(order_step(order_id, order.current_step), "a-new-task-token", 3600)

    assert hanna.get(f"/api/approvals/{approval_id}").body["state"] == "open"
    pending = [p for p in hanna.get("/api/pending").body["pending"] if p["order_id"] == order_id]
    assert len(pending) == 1
    decided = hanna.post(f"/api/approvals/{approval_id}/decision", {"decision": "reject", "reason": "Not our customer"})
    assert decided.status == 200
    mails = [m for m in aws.sent_emails() if hanna.email in m["to"] and "granska beställning" in m["subject"]]
    assert len([m for m in mails if number in m["subject"]]) == 1


def test_a_failed_answer_to_the_workflow_after_a_decision_is_tried_again(person, aws, monkeypatch):
    """It used to answer 500 while the decision was stored: the page then said "decided", and the order
    timed out although approved."""
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    order_id, number = placed(olivia.submit(direct_order()))
    approval_id = adam.approval_link("attestera beställning", number)
    calls = crash_once(monkeypatch, container().adapters.workflow, "answer")

    assert adam.attest(approval_id).status == 200
    assert aws.wait_for_execution(order_id)["status"] == "SUCCEEDED"
    assert len(calls) == 2
    actions = [e["action"] for e in olivia.get(f"/api/orders/{order_id}").body["history"]]
    assert actions.count("approved") == 1 and actions.count("case_created") == 1
    again = adam.post(f"/api/approvals/{approval_id}/decision", {"decision": "approve", "one_time_code": "000000"})
    assert again.status == 409  # used up
