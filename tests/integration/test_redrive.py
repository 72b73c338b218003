"""`make redrive` over the embedded AWS as far as moto goes (it describes executions, but has no redrive and
keeps a stopped execution running), and over a recording client for the redrive itself."""

from __future__ import annotations

from typing import Any

import pytest

from local.people import direct_order, placed
from scripts import redrive


def arn(aws: Any) -> str:
    return aws.environment["STATE_MACHINE_ARN"]


def test_a_running_order_is_left_alone(person, aws):
    order_id, _ = placed(person("olivia.orderer").submit(direct_order()))
    aws.execution(order_id)
    verdict = redrive.redrive(aws.client("stepfunctions"), arn(aws), order_id, dry_run=False)
    assert (verdict.action, verdict.detail) == ("nothing to do", "the execution is RUNNING")


def test_an_order_without_an_execution_is_refused(aws):
    verdict = redrive.redrive(aws.client("stepfunctions"), arn(aws), "f" * 32, dry_run=False)
    assert verdict.action == "refused" and verdict.exit_code == 3


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


def test_a_failed_task_is_redriven_and_continues_with_the_deployed_code(capsys: pytest.CaptureFixture[str]):
    client = Recording("FAILED", "CreateCase")
    assert redrive.main(["--state-machine-arn", MACHINE, "--region", "eu-north-1", "--order", "a" * 32], client) == 0
    assert client.redriven == [f"{MACHINE.replace(':stateMachine:', ':execution:')}:{'a' * 32}"]
    assert "redriven: the execution FAILED in CreateCase" in capsys.readouterr().out


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
