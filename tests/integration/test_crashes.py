"""A crash between two writes creates, loses and duplicates nothing: the retry a person or the workflow makes
finishes the job."""

from __future__ import annotations

import uuid

from chalicelib.bootstrap import container
from chalicelib.ordering.steps import order_step
from local.people import agent_review, direct_order, placed, via_agent_order
from tests.faults import crash_once


def test_a_crash_after_the_order_is_written_but_before_the_workflow_starts(person, aws, monkeypatch):
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    calls = crash_once(monkeypatch, container().adapters.workflow, "start")
    key = uuid.uuid4().hex

    crashed = olivia.submit(direct_order(), key)
    assert crashed.status == 500 and "nothing was lost" in crashed.body["message"]
    order_id, number = placed(olivia.submit(direct_order(), key))  # the person presses submit again
    mine = [o["order_id"] for o in olivia.get("/api/orders?scope=mine").body["orders"]]
    assert mine.count(order_id) == 1 and len(calls) == 2
    assert adam.attest(adam.approval_link("attest order", number)).status == 200
    assert aws.wait_for_execution(order_id)["status"] == "SUCCEEDED"


def test_a_crash_after_a_step_is_stored_but_before_its_mail_is_retried_by_the_workflow(person, aws, monkeypatch):
    olivia, hanna = person("olivia.orderer"), person("hanna.handler")
    calls = crash_once(monkeypatch, container().adapters.mail, "send")
    order_id, number = placed(olivia.submit(via_agent_order()))

    approval_id = hanna.approval_link("review order", number)  # sent by the retried task
    assert len(calls) >= 2
    assert (
        hanna.post(
            f"/api/approvals/{approval_id}/decision", {"decision": "approve", "agent_review": agent_review()}
        ).status
        == 200
    )
    history = olivia.get(f"/api/orders/{order_id}").body["history"]
    opened = [e["step"] for e in history if e["action"] == "step_opened"]
    assert opened.count("agent_approval") == 1  # R-ORD-2: the retry did not open the step twice


def test_a_superseded_link_from_a_retried_step_no_longer_decides(person, aws):
    olivia, hanna = person("olivia.orderer"), person("hanna.handler")
    order_id, number = placed(olivia.submit(via_agent_order()))
    first = hanna.approval_link("review order", number)
    # The workflow retries the task (as after a crash): the step is opened again with a new link.
    order, _ = container().adapters.orders.get(order_id) or (None, 0)
    assert order is not None and order.current_step is not None
    container().decisions.open(order_step(order_id, order.current_step), "a-new-task-token", 3600)
    second = hanna.approval_link("review order", number)

    assert hanna.get(f"/api/approvals/{first}").body["state"] == "expired"
    stale = hanna.post(f"/api/approvals/{first}/decision", {"decision": "reject", "reason": "Old link"})
    assert stale.status == 410 and "newer one" in stale.body["message"]
    assert hanna.get(f"/api/approvals/{second}").body["state"] == "open"
    pending = [p for p in hanna.get("/api/pending").body["pending"] if p["order_id"] == order_id]
    assert len(pending) == 1


def test_a_crash_after_a_decision_is_stored_but_before_the_workflow_hears_it(person, aws, monkeypatch):
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    order_id, number = placed(olivia.submit(direct_order()))
    approval_id = adam.approval_link("attest order", number)
    calls = crash_once(monkeypatch, container().adapters.workflow, "deliver")

    crashed = adam.attest(approval_id)
    assert crashed.status == 500
    assert aws.execution(order_id)["status"] == "RUNNING"
    # The same person clicks again: the stored decision is delivered, not made a second time.
    again = adam.post(f"/api/approvals/{approval_id}/decision", {"decision": "approve", "one_time_code": "000000"})
    assert again.status == 200, again.body
    assert len(calls) == 2
    assert aws.wait_for_execution(order_id)["status"] == "SUCCEEDED"
    actions = [e["action"] for e in olivia.get(f"/api/orders/{order_id}").body["history"]]
    assert actions.count("approved") == 1 and actions.count("case_created") == 1
    # And once delivered, the link is used up.
    assert (
        adam.post(f"/api/approvals/{approval_id}/decision", {"decision": "approve", "one_time_code": "000000"}).status
        == 409
    )
