"""`make redrive STAGE=... ORDER=<order id>`: continues an order's execution after a broken release is fixed.

Step Functions' redrive continues an execution that failed, timed out or was aborted from the state where it
stopped, with the definition it started with; each task is called through its alias, so the fixed code runs
(docs/decisions.md, "In-flight orders call the tasks' aliases"). It applies where the execution stopped in a
task: an execution stopped by hand while a release was broken, a task whose failure reached no Catch, or the
NeedsAttention task itself failing. An execution that reached the state `Failed` has already handed its order
to operations (needs attention, mail sent); redriving it would only fail it again, and the script says so.
Run it first with --dry-run: it prints what it would do. docs/deploy.md, "Resuming orders after a broken
release".
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import boto3

# The definition's own end for an order handed to operations (statemachines/order_workflow.asl.json).
HANDED_TO_OPERATIONS = "Failed"
ENDED = ("FAILED", "TIMED_OUT", "ABORTED")


@dataclass(frozen=True)
class Verdict:
    """What the script found and did, for the operator and the test."""

    action: str  # "redriven", "would redrive", "nothing to do", "refused"
    detail: str

    @property
    def exit_code(self) -> int:
        return 3 if self.action == "refused" else 0


def execution_arn(state_machine_arn: str, order_id: str) -> str:
    """An order's execution is named by the order's id (chalicelib/ordering/services.py)."""
    return state_machine_arn.replace(":stateMachine:", ":execution:") + f":{order_id}"


def stopped_in(client: Any, arn: str) -> str | None:
    """The name of the last state the execution entered: where a redrive continues."""
    entered = [
        (event["id"], event["stateEnteredEventDetails"]["name"])
        for page in client.get_paginator("get_execution_history").paginate(executionArn=arn)
        for event in page["events"]
        if "stateEnteredEventDetails" in event
    ]
    return str(max(entered)[1]) if entered else None


def redrive(client: Any, state_machine_arn: str, order_id: str, *, dry_run: bool) -> Verdict:
    arn = execution_arn(state_machine_arn, order_id)
    try:
        execution = client.describe_execution(executionArn=arn)
    except client.exceptions.ExecutionDoesNotExist:
        return Verdict("refused", f"order {order_id} has no execution; the reconciliation starts stored orders")
    status = execution["status"]
    if status not in ENDED:
        return Verdict("nothing to do", f"the execution is {status}")
    state = stopped_in(client, arn)
    if state == HANDED_TO_OPERATIONS:
        return Verdict(
            "refused",
            "the execution handed the order to operations (state Failed): a redrive would fail it again; "
            "operations settle the order with the customer (docs/deploy.md)",
        )
    if execution.get("redriveStatus", "REDRIVABLE") != "REDRIVABLE":
        return Verdict("refused", f"Step Functions cannot redrive it: {execution.get('redriveStatusReason', '')}")
    if dry_run:
        return Verdict("would redrive", f"the execution {status} in {state}; it would continue there")
    client.redrive_execution(executionArn=arn)
    return Verdict("redriven", f"the execution {status} in {state} continues there with the deployed code")


def main(argv: Sequence[str] | None = None, client: Any = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--state-machine-arn", required=True, help="the stack's output OrderWorkflowArn")
    parser.add_argument("--region", required=True)
    parser.add_argument("--order", required=True, help="the order's id (32 hex digits)")
    parser.add_argument("--dry-run", action="store_true", help="say what would be done, change nothing")
    arguments = parser.parse_args(argv)
    client = client or boto3.client("stepfunctions", region_name=arguments.region)
    verdict = redrive(client, arguments.state_machine_arn, arguments.order, dry_run=arguments.dry_run)
    print(f"{arguments.order}: {verdict.action}: {verdict.detail}")
    return verdict.exit_code


if __name__ == "__main__":
    sys.exit(main())
