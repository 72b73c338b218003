"""Handler cost: a whole `POST /api/orders` against the two AWS calls a submit cannot do without."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import boto3
from boto3.dynamodb.types import TypeSerializer

from bench.measure import AwsCall, counted, median_ms, ratio, spread
from bench.stage import Stage
from chalicelib.adapters.dynamo.ordering import event_item, order_item
from chalicelib.bootstrap import AWS_CONFIG, container
from chalicelib.ordering.model import HistoryAction, HistoryEvent, Order
from local.people import via_agent_order

REQUIRED = ("TransactWriteItems", "StartExecution")
# What every execution a sample starts runs first: the agent approval's request (WORKFLOW_TASKS in manifest.py).
FIRST_TASK = "request_decision"
WARM_UP = 2

_serializer = TypeSerializer()


def _to_dynamo(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in item.items() if value is not None}


def _twin(template: Order, n: int) -> tuple[Order, HistoryEvent]:
    """An order like the one the API just placed, under a new id and number, with its first event."""
    now = datetime.now(UTC)
    order = template.model_copy(
        update={"order_id": uuid.uuid4().hex, "number": f"RITM{9_000_000 + n}", "created_at": now, "updated_at": now}
    )
    submitted = HistoryEvent(
        at=now,
        action=HistoryAction.SUBMITTED,
        actor_id=order.orderer_id,
        actor_name=order.orderer_name,
        note=order.number,
    )
    return order, submitted


def measure(stage: Stage, samples: int) -> dict[str, Any]:
    olivia = stage.person("olivia.orderer")
    this_thread = threading.get_ident()
    settings = container().settings
    session = boto3.session.Session(region_name=settings.aws_region)
    dynamodb = session.client("dynamodb", config=AWS_CONFIG)
    stepfunctions = session.client("stepfunctions", config=AWS_CONFIG)

    def rest(asked_before: int) -> None:
        """Until the execution the sample started has asked its first decision, and everything rests."""
        stage.tasks.wait_for(FIRST_TASK, asked_before)
        stage.tasks.settle()

    def submit() -> tuple[float, list[AwsCall], str]:
        asked = stage.tasks.finished[FIRST_TASK]
        mark = stage.calls.mark()
        started = time.perf_counter()
        reply = olivia.submit(via_agent_order())
        elapsed = time.perf_counter() - started
        if reply.status != 201:
            raise RuntimeError(f"the submit was refused: {reply.body}")
        # Only this thread's calls: the execution the submit started runs in moto's own thread.
        calls = stage.calls.since(mark, this_thread)
        # The outbox starts the execution and the execution's first task mails the agent; all of it rests first.
        rest(asked)
        return elapsed, calls, str(reply.body["order_id"])

    # The first submit of the process builds Powertools' persistence layer and verifies a first token.
    first_elapsed, first_calls, order_id = submit()
    for _ in range(WARM_UP):
        submit()
    found = container().adapters.orders.get(order_id)
    assert found is not None
    template = found[0]

    handler: list[float] = []
    in_handler_aws: list[float] = []
    in_handler_required: list[float] = []
    call_counts: list[Counter[str]] = []
    transact_items: list[int] = []
    direct: list[float] = []
    direct_transact: list[float] = []
    direct_start: list[float] = []
    # Alternating, so drift of the machine or of moto's growing state falls on both alike.
    for n in range(samples):
        elapsed, calls, _ = submit()
        handler.append(elapsed)
        in_handler_aws.append(sum(call.seconds for call in calls))
        in_handler_required.append(sum(call.seconds for call in calls if call.operation in REQUIRED))
        call_counts.append(counted(calls, stage.table_labels))
        transact_items.append(sum(len(call.transact_items) for call in calls))

        order, submitted = _twin(template, n)
        writes = [
            {
                "Put": {
                    "TableName": stage.table_name,
                    "Item": _to_dynamo(item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for item in (order_item(order, 1), event_item(order.order_id, submitted))
        ]
        execution_input = json.dumps(
            {
                "order_id": order.order_id,
                "flow": order.flow.value,
                "decision_timeout_seconds": settings.decision_timeout_seconds,
            },
            sort_keys=True,
        )
        asked = stage.tasks.finished[FIRST_TASK]
        started = time.perf_counter()
        dynamodb.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        written = time.perf_counter()
        stepfunctions.start_execution(
            stateMachineArn=settings.state_machine_arn, name=order.order_id, input=execution_input
        )
        finished = time.perf_counter()
        direct.append(finished - started)
        direct_transact.append(written - started)
        direct_start.append(finished - written)
        rest(asked)

    per_submit = call_counts[0]
    handler_ms, direct_ms = median_ms(handler), median_ms(direct)
    aws_ms = median_ms(in_handler_aws)
    return {
        "samples": samples,
        "first_submit_in_process_ms": round(first_elapsed * 1000, 2),
        "first_submit_aws_calls_ms": round(sum(call.seconds for call in first_calls) * 1000, 2),
        "handler": spread(handler),
        "handler_aws_calls_ms": spread(in_handler_aws),
        "handler_required_calls_ms": spread(in_handler_required),
        "handler_outside_aws_ms": median_ms([h - a for h, a in zip(handler, in_handler_aws, strict=True)]),
        "direct_two_calls": spread(direct),
        "direct_transact_write_items": spread(direct_transact),
        "direct_start_execution": spread(direct_start),
        "handler_over_direct_ratio": ratio(handler_ms, direct_ms),
        "handler_aws_over_direct_ratio": ratio(aws_ms, direct_ms),
        "transact_items_per_submit": max(transact_items),
        "aws_calls_per_submit": dict(sorted(per_submit.items())),
        "aws_calls_per_submit_total": sum(per_submit.values()),
        "same_calls_every_submit": all(counts == per_submit for counts in call_counts),
    }
