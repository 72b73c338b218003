"""`make redrive` over the embedded AWS: an order needing attention resumed from its step with the real
definition; the redrive of a stopped execution as far as moto goes (it describes executions, but has no
redrive and keeps a stopped execution running), and over a recording client for the redrive itself."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from chalicelib.ordering.model import OrderStatus
from chalicelib.ordering.resumption import Resumption
from local.people import direct_order, placed
from scripts import redrive
from tests.fakes.world import World


def arn(aws: Any) -> str:
    return aws.environment["STATE_MACHINE_ARN"]


def run(aws: Any, order_id: str, *more: str) -> int:
    """The script as `make redrive` runs it, against the embedded AWS."""
    return redrive.main(
        [
            *("--state-machine-arn", arn(aws), "--table", aws.environment["TABLE_NAME"]),
            *("--region", "eu-north-1", "--order", order_id, *more),
        ]
    )


def test_a_running_order_is_left_alone(person, aws, capsys: pytest.CaptureFixture[str]):
    order_id, _ = placed(person("olivia.orderer").submit(direct_order()))
    aws.execution(order_id)
    assert run(aws, order_id) == 0
    assert f"{order_id}: nothing to do: the execution is RUNNING" in capsys.readouterr().out


def test_an_order_that_is_not_stored_is_refused(aws, capsys: pytest.CaptureFixture[str]):
    assert run(aws, "f" * 32) == 3
    assert "refused: no order" in capsys.readouterr().out


def test_an_order_without_an_execution_is_refused(aws):
    verdict = redrive.redrive(aws.client("stepfunctions"), arn(aws), "f" * 32, dry_run=False)
    assert verdict.action == "refused" and verdict.exit_code == 3


def execution_named(aws: Any, name: str, timeout: float = 30.0) -> dict[str, Any]:
    """The execution `name` once it has ended (the outbox starts it a moment after the resume)."""
    sfn = aws.client("stepfunctions")
    execution_arn = redrive.execution_arn(arn(aws), name)
    deadline = time.monotonic() + timeout
    while True:
        try:
            execution = dict(sfn.describe_execution(executionArn=execution_arn))
            if execution["status"] != "RUNNING":
                return execution
        except sfn.exceptions.ExecutionDoesNotExist:
            execution = {}
        if time.monotonic() > deadline:
            raise AssertionError(f"execution {name} did not end: {execution}")
        time.sleep(0.05)


def entered(aws: Any, name: str) -> list[str]:
    history = aws.client("stepfunctions").get_execution_history(executionArn=redrive.execution_arn(arn(aws), name))
    return [
        event["stateEnteredEventDetails"]["name"] for event in history["events"] if "stateEnteredEventDetails" in event
    ]


def needing_attention(aws: Any, order_id: str, failing: str) -> None:
    """The order's first execution fails `failing` through all its retries and hands the order to operations;
    then the release is fixed."""
    try:
        assert aws.wait_for_execution(order_id, timeout=60)["status"] == "FAILED"
    finally:
        aws.dispatcher.failures.pop(failing, None)
    assert aws.emails_to("operations@provider.example", order_id)


def test_an_order_handed_to_operations_is_resumed_at_case_creation_and_completes(
    person, aws, capsys: pytest.CaptureFixture[str]
):
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    order_id, number = placed(olivia.submit(direct_order()))
    approval_id = adam.approval_link("attestera beställning", number)
    aws.dispatcher.failures["create_case"] = 101  # more than the state machine's hundred retries
    assert adam.attest(approval_id).status == 200
    needing_attention(aws, order_id, "create_case")
    assert olivia.get(f"/api/orders/{order_id}").body["order"]["status"] == "needs_attention"

    assert run(aws, order_id, "--dry-run") == 0
    assert (
        f"would resume: the order needs attention; a new execution {order_id}-resume-1 would enter at create_case"
        in (capsys.readouterr().out)
    )
    assert olivia.get(f"/api/orders/{order_id}").body["order"]["status"] == "needs_attention"

    assert run(aws, order_id, "--operator", "Oskar Operations") == 0
    assert f"{order_id}: resumed: the order is in progress again" in capsys.readouterr().out
    resumed = execution_named(aws, f"{order_id}-resume-1")
    assert resumed["status"] == "SUCCEEDED"
    assert json.loads(resumed["input"])["resume_at"] == "create_case"
    assert entered(aws, f"{order_id}-resume-1") == ["ResumeAt", "OrdererCleared", "CreateCase", "Completed"]

    read = olivia.get(f"/api/orders/{order_id}").body
    assert read["order"]["status"] == "completed" and read["order"]["case_number"]
    assert [(event["action"], event["actor_name"]) for event in read["history"]][-3:] == [
        ("needs_attention", "Order workflow"),
        ("resumed", "Oskar Operations"),
        ("case_created", "Order workflow"),
    ]
    assert [event["action"] for event in read["history"]][:3] == ["submitted", "step_opened", "approved"]
    cases = person("kim.service").get("/api/cases").body["cases"]
    assert [case["order_id"] for case in cases].count(order_id) == 1

    # The same command again starts nothing: the order is no longer in operations' hands.
    assert run(aws, order_id, "--operator", "Oskar Operations") == 0
    assert f"{order_id}: nothing to do: the execution is SUCCEEDED" in capsys.readouterr().out
    with pytest.raises(aws.client("stepfunctions").exceptions.ExecutionDoesNotExist):
        aws.client("stepfunctions").describe_execution(
            executionArn=redrive.execution_arn(arn(aws), f"{order_id}-resume-2")
        )


def test_an_order_whose_step_never_opened_is_resumed_at_that_step_and_decided(person, aws):
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    aws.dispatcher.failures["request_decision"] = 101
    try:
        order_id, number = placed(olivia.submit(direct_order()))
    except BaseException:
        aws.dispatcher.failures.pop("request_decision", None)
        raise
    needing_attention(aws, order_id, "request_decision")

    assert run(aws, order_id) == 0
    approval_id = adam.approval_link("attestera beställning", number)
    assert adam.attest(approval_id).status == 200
    assert execution_named(aws, f"{order_id}-resume-1")["status"] == "SUCCEEDED"
    assert entered(aws, f"{order_id}-resume-1")[:2] == ["ResumeAt", "CustomerAttestation"]
    history = olivia.get(f"/api/orders/{order_id}").body["history"]
    assert [event["action"] for event in history] == [
        "submitted",
        "needs_attention",
        "resumed",
        "step_opened",
        "approved",
        "case_created",
    ]
    assert history[2]["actor_name"] == "Operations" and history[2]["step"] == "customer_attestation"


class Recording:
    """A Step Functions client with one ended execution, recording the redrives asked for."""

    class exceptions:
        class ExecutionDoesNotExist(Exception):
            pass

    def __init__(self, status: str, last_state: str, redrivable: bool = True) -> None:
        self.execution = {"status": status, "redriveStatus": "REDRIVABLE" if redrivable else "NOT_REDRIVABLE"}
        self.events = [
            {"id": 2, "stateEnteredEventDetails": {"name": "CustomerAttestation"}},
            {"id": 9, "stateEnteredEventDetails": {"name": last_state}},
        ]
        self.redriven: list[str] = []

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        return self.execution

    def get_paginator(self, name: str) -> Any:
        events = self.events

        class Pages:
            def paginate(self, **_: Any) -> list[dict[str, Any]]:
                return [{"events": events}]

        return Pages()

    def redrive_execution(self, executionArn: str) -> None:
        self.redriven.append(executionArn)


MACHINE = "arn:aws:states:eu-north-1:333333333333:stateMachine:service-orders-prod-order-workflow"


def test_a_failed_task_is_redriven_and_continues_with_the_deployed_code():
    client = Recording("FAILED", "CreateCase")
    verdict = redrive.redrive(client, MACHINE, "a" * 32, dry_run=False)
    assert client.redriven == [f"{MACHINE.replace(':stateMachine:', ':execution:')}:{'a' * 32}"]
    assert (verdict.action, verdict.exit_code) == ("redriven", 0)
    assert verdict.detail.startswith("the execution FAILED in CreateCase")


def test_a_dry_run_changes_nothing():
    client = Recording("TIMED_OUT", "NeedsAttention")
    assert redrive.redrive(client, MACHINE, "a" * 32, dry_run=True).action == "would redrive"
    assert client.redriven == []


def test_an_order_already_handed_to_operations_is_not_redriven():
    client = Recording("FAILED", redrive.HANDED_TO_OPERATIONS)
    verdict = redrive.redrive(client, MACHINE, "a" * 32, dry_run=False)
    assert verdict.action == "refused" and "handed the order to operations" in verdict.detail
    assert client.redriven == []


def test_what_step_functions_will_not_redrive_is_refused():
    client = Recording("FAILED", "CreateCase", redrivable=False)
    assert redrive.redrive(client, MACHINE, "a" * 32, dry_run=False).action == "refused"
    assert client.redriven == []


def test_an_order_needing_attention_whose_execution_still_runs_is_refused():
    """The NotifyOperations task still retrying: the execution is stopped first, then the order resumed."""
    world = World()
    order_id = world.submit("olivia.orderer", direct_order()).order_id
    world.app.endings.needs_attention(order_id, {"Error": "States.TaskFailed"})
    resumption = Resumption(world.orders, world.outbox, world.store, world.clock)
    verdict = redrive.carry_on(
        Recording("RUNNING", "NeedsAttention"), resumption, MACHINE, order_id, dry_run=False, operator=None
    )
    assert verdict.action == "refused" and "stop it" in verdict.detail
    stored = world.orders.get(order_id)
    assert stored is not None and stored[0].status is OrderStatus.NEEDS_ATTENTION and stored[0].resumptions == 0
