"""R-ORD-3: a rejection, a cancellation or a timeout at any step ends the order and tells why; a step that
keeps failing calls operations in."""

from __future__ import annotations

import pytest

from local.people import agent_review, direct_order, placed, via_agent_order


def order_of(person, order_id):
    return person.get(f"/api/orders/{order_id}").body["order"]


def test_agent_rejection_ends_the_order_and_tells_the_orderer_and_agent_why(person, aws):
    olivia, hanna, hugo = person("olivia.orderer"), person("hanna.handler"), person("hugo.handler")
    order_id, number = placed(olivia.submit(via_agent_order()))
    approval_id = hanna.approval_link("granska beställning", number)
    rejected = hanna.post(
        f"/api/approvals/{approval_id}/decision",
        {"decision": "reject", "reason": "The care units are not our customers'."},
    )
    assert rejected.status == 200, rejected.body

    assert aws.wait_for_execution(order_id)["status"] == "SUCCEEDED"
    told = olivia.next_email("har avslutats", number)
    assert "The care units are not our customers" in told["body"]
    assert "Hanna Handler" in told["body"]
    hugo.next_email("has ended", number)  # the agent took part, so the agent is told too
    order = order_of(olivia, order_id)
    assert order["status"] == "rejected"
    assert order["outcome_reason"] == "The care units are not our customers'."
    assert hugo.get("/api/pending").body["pending"] == [] or all(
        p["order_id"] != order_id for p in hugo.get("/api/pending").body["pending"]
    )


def test_agent_attester_cancelling_ends_the_order(person, aws):
    olivia, hanna, alva = person("olivia.orderer"), person("hanna.handler"), person("alva.attester")
    order_id, number = placed(olivia.submit(via_agent_order()))
    hanna.post(
        f"/api/approvals/{hanna.approval_link('granska beställning', number)}/decision",
        {"decision": "approve", "agent_review": agent_review()},
    )
    cancelled = alva.attest(
        alva.approval_link("attestera beställning", number), "reject", "Invoice reference is wrong."
    )
    assert cancelled.status == 200, cancelled.body

    assert aws.wait_for_execution(order_id)["status"] == "SUCCEEDED"
    assert "Invoice reference is wrong." in olivia.next_email("har avslutats", number)["body"]
    hanna.next_email("har avslutats", number)
    assert order_of(olivia, order_id)["status"] == "cancelled"


def test_customer_attester_cancelling_ends_the_order_and_no_case_is_created(person, aws):
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    order_id, number = placed(olivia.submit(direct_order()))
    assert (
        adam.attest(adam.approval_link("attestera beställning", number), "reject", "We ordered this already.").status
        == 200
    )

    assert aws.wait_for_execution(order_id)["status"] == "SUCCEEDED"
    assert "We ordered this already." in olivia.next_email("har avslutats", number)["body"]
    order = order_of(olivia, order_id)
    assert order["status"] == "cancelled" and order["case_number"] is None
    assert all(case["order_id"] != order_id for case in person("kim.service").get("/api/cases").body["cases"])


def test_a_step_without_a_decision_times_out_and_the_orderer_is_told(person, aws, short_decision_timeout):
    olivia, hanna = person("olivia.orderer"), person("hanna.handler")
    order_id, number = placed(olivia.submit(via_agent_order()))
    approval_id = hanna.approval_link("granska beställning", number)

    assert aws.wait_for_execution(order_id)["status"] == "SUCCEEDED"
    assert "within the time limit" in olivia.next_email("har avslutats", number)["body"]
    order = order_of(olivia, order_id)
    assert order["status"] == "timed_out"

    # The link has expired with its step: a clear answer, and the decision changes nothing.
    assert hanna.get(f"/api/approvals/{approval_id}").body["state"] == "expired"
    late = hanna.post(f"/api/approvals/{approval_id}/decision", {"decision": "approve", "agent_review": agent_review()})
    assert late.status == 410
    assert order_of(olivia, order_id)["status"] == "timed_out"


@pytest.mark.parametrize("failing", ["create_case"])
def test_a_task_that_keeps_failing_calls_operations_in(person, aws, failing):
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    order_id, number = placed(olivia.submit(direct_order()))
    approval_id = adam.approval_link("attestera beställning", number)
    aws.dispatcher.failures[failing] = 101  # more than the state machine's hundred retries
    try:
        assert adam.attest(approval_id).status == 200
        execution = aws.wait_for_execution(order_id, timeout=30)
    finally:
        aws.dispatcher.failures.pop(failing, None)

    assert execution["status"] == "FAILED"
    assert aws.emails_to("operations@provider.example", order_id)
    assert order_of(olivia, order_id)["status"] == "needs_attention"


def test_a_transient_task_failure_is_retried_and_the_order_completes(person, aws):
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    order_id, number = placed(olivia.submit(direct_order()))
    approval_id = adam.approval_link("attestera beställning", number)
    aws.dispatcher.failures["create_case"] = 1
    try:
        assert adam.attest(approval_id).status == 200
        assert aws.wait_for_execution(order_id, timeout=30)["status"] == "SUCCEEDED"
    finally:
        aws.dispatcher.failures.pop("create_case", None)
    assert order_of(olivia, order_id)["status"] == "completed"
