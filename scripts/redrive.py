"""`make redrive STAGE=... ORDER=<order id>`: carries an order on after a broken release is fixed.

Two ways, chosen by how the order stands:

- An order in progress whose execution stopped in a task (stopped by hand while a release was broken, a task
  failure that reached no Catch, the NeedsAttention task itself failing) is continued by Step Functions' redrive
  from the state where it stopped, with the definition it started with; each task is called through its alias,
  so the fixed code runs (docs/decisions.md, "In-flight orders call the tasks' aliases").
- An order the workflow handed to operations (needs attention: a task failed through all its retries, its
  execution ended in `Failed`) is resumed from its step: it is in progress again, with a history entry naming
  who resumed it (--operator), and a new execution of the current definition, named by the order and the
  resume's count, enters at the step the order stood at (chalicelib/ordering/resumption.py). Its start goes
  through the outbox with the order's change, so a crash loses nothing and a repeated command starts nothing.

Run it first with --dry-run: it prints what it would do. docs/deploy.md, "Resuming orders after a broken
release".
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import boto3

from chalicelib.adapters.dynamo.notifications import DynamoOutbox
from chalicelib.adapters.dynamo.ordering import DynamoOrders
from chalicelib.adapters.dynamo.table import DynamoTable
from chalicelib.ordering.executions import execution_name, resume_at
from chalicelib.ordering.model import Order, OrderStatus
from chalicelib.ordering.resumption import Resumption
from chalicelib.shared.time import utc_now

# The definition's own end for an order handed to operations (statemachines/order_workflow.asl.json).
HANDED_TO_OPERATIONS = "Failed"
ENDED = ("FAILED", "TIMED_OUT", "ABORTED")


@dataclass(frozen=True)
class Verdict:
    """What the script found and did, for the operator and the test."""

    action: str  # "redriven", "would redrive", "resumed", "would resume", "nothing to do", "refused"
    detail: str

    @property
    def exit_code(self) -> int:
        return 3 if self.action == "refused" else 0


def execution_arn(state_machine_arn: str, name: str) -> str:
    """An order's execution is named by the order's id, a resumed one by the id and the resume's count
    (`ordering/executions.py`)."""
    return state_machine_arn.replace(":stateMachine:", ":execution:") + f":{name}"


def stopped_in(client: Any, arn: str) -> str | None:
    """The name of the last state the execution entered: where a redrive continues."""
    entered = [
        (event["id"], event["stateEnteredEventDetails"]["name"])
        for page in client.get_paginator("get_execution_history").paginate(executionArn=arn)
        for event in page["events"]
        if "stateEnteredEventDetails" in event
    ]
    return str(max(entered)[1]) if entered else None


def carry_on(
    client: Any, resumption: Resumption, state_machine_arn: str, order_id: str, *, dry_run: bool, operator: str | None
) -> Verdict:
    """Resumes an order that needs attention; redrives the execution of any other."""
    order = resumption.order(order_id)
    if order is None:
        return Verdict("refused", f"no order {order_id} is stored")
    if order.status is OrderStatus.NEEDS_ATTENTION:
        return resume(client, resumption, state_machine_arn, order, dry_run=dry_run, operator=operator)
    return redrive(client, state_machine_arn, execution_name(order), dry_run=dry_run)


def resume(
    client: Any, resumption: Resumption, state_machine_arn: str, order: Order, *, dry_run: bool, operator: str | None
) -> Verdict:
    arn = execution_arn(state_machine_arn, execution_name(order))
    try:
        execution = client.describe_execution(executionArn=arn)
    except client.exceptions.ExecutionDoesNotExist:
        return Verdict("refused", f"the order needs attention but has no execution {execution_name(order)}")
    if execution["status"] == "RUNNING":
        return Verdict(
            "refused",
            "the order needs attention and its execution is RUNNING: wait for it to end, or stop it "
            "(aws stepfunctions stop-execution), then run this again",
        )
    # The new execution waits for decisions as long as the one it replaces did.
    timeout = int(json.loads(execution["input"])["decision_timeout_seconds"])
    if dry_run:
        preview = order.model_copy(deep=True)
        preview.resume([], utc_now(), operator)
        return Verdict(
            "would resume",
            f"the order needs attention; a new execution {execution_name(preview)} would enter at {resume_at(preview)}",
        )
    done = resumption.resume(order.order_id, timeout, operator)
    if done is None or not done.resumed:
        status = done.order.status.value if done else "gone"
        return Verdict("nothing to do", f"the order is {status} already")
    return Verdict(
        "resumed",
        f"the order is in progress again; the outbox starts execution {execution_name(done.order)}, which enters at "
        f"{resume_at(done.order)}",
    )


def redrive(client: Any, state_machine_arn: str, name: str, *, dry_run: bool) -> Verdict:
    arn = execution_arn(state_machine_arn, name)
    try:
        execution = client.describe_execution(executionArn=arn)
    except client.exceptions.ExecutionDoesNotExist:
        return Verdict("refused", f"the order has no execution {name}; the reconciliation starts stored orders")
    status = execution["status"]
    if status not in ENDED:
        return Verdict("nothing to do", f"the execution is {status}")
    state = stopped_in(client, arn)
    if state == HANDED_TO_OPERATIONS:
        return Verdict(
            "refused",
            "the execution handed the order to operations (state Failed), and the order had already ended: "
            "there is nothing to carry on (docs/deploy.md)",
        )
    if execution.get("redriveStatus", "REDRIVABLE") != "REDRIVABLE":
        return Verdict("refused", f"Step Functions cannot redrive it: {execution.get('redriveStatusReason', '')}")
    if dry_run:
        return Verdict("would redrive", f"the execution {status} in {state}; it would continue there")
    client.redrive_execution(executionArn=arn)
    return Verdict("redriven", f"the execution {status} in {state} continues there with the deployed code")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--state-machine-arn", required=True, help="the stack's output OrderWorkflowArn")
    parser.add_argument("--table", required=True, help="the stack's output ApplicationTableName")
    parser.add_argument("--region", required=True)
    parser.add_argument("--order", required=True, help="the order's id (32 hex digits)")
    parser.add_argument("--operator", help="who resumes the order, for its history (else: Operations)")
    parser.add_argument("--dry-run", action="store_true", help="say what would be done, change nothing")
    arguments = parser.parse_args(argv)
    client = boto3.client("stepfunctions", region_name=arguments.region)
    table = DynamoTable(boto3.client("dynamodb", region_name=arguments.region), arguments.table)
    resumption = Resumption(DynamoOrders(table), DynamoOutbox(table), table, utc_now)
    verdict = carry_on(
        client,
        resumption,
        arguments.state_machine_arn,
        arguments.order,
        dry_run=arguments.dry_run,
        operator=arguments.operator,
    )
    print(f"{arguments.order}: {verdict.action}: {verdict.detail}")
    return verdict.exit_code


if __name__ == "__main__":
    sys.exit(main())
