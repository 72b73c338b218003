"""What one completed via-agent order costs: state transitions, DynamoDB writes, Lambda invocations,
e-mails and SMS, from the submit until the execution has succeeded."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from bench.measure import BENCH, AwsCall, counted, spread
from bench.stage import Stage
from local.people import Person, agent_review, via_agent_order


def _history(stage: Stage, order_id: str) -> list[dict[str, Any]]:
    client = stage.aws.client("stepfunctions")
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": stage.execution_arn(order_id), "maxResults": 1000}
    while True:
        page = client.get_execution_history(**kwargs)
        events.extend(page["events"])
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]


def _decide(person: Person, approval_id: str, decision: dict[str, Any]) -> None:
    reply = person.post(f"/api/approvals/{approval_id}/decision", decision)
    if reply.status != 200:
        raise RuntimeError(f"{person.user_id}'s decision was refused: {reply.body}")


def drive(stage: Stage) -> tuple[str, str]:
    """Submit, agent approval, agent attestation, customer attestation, as the people would do it.
    Returns the order's id and number."""
    olivia, hanna, alva, adam = (
        stage.person(user_id) for user_id in ("olivia.orderer", "hanna.handler", "alva.attester", "adam.attester")
    )
    submitted = olivia.submit(via_agent_order())
    if submitted.status != 201:
        raise RuntimeError(f"the submit was refused: {submitted.body}")
    order_id, number = str(submitted.body["order_id"]), str(submitted.body["number"])

    approval_id = hanna.approval_link("granska beställning", number)
    hanna.get(f"/api/approvals/{approval_id}")
    _decide(hanna, approval_id, {"decision": "approve", "agent_review": agent_review()})

    for attester in (alva, adam):
        approval_id = attester.approval_link("attestera beställning", number)
        attester.get(f"/api/approvals/{approval_id}")
        code = attester.sign_with_code(approval_id)
        _decide(attester, approval_id, {"decision": "approve", "one_time_code": code})

    execution = stage.aws.wait_for_execution(order_id)
    if execution["status"] != "SUCCEEDED":
        raise RuntimeError(f"the order's execution ended {execution['status']}")
    return order_id, number


def _one(stage: Stage) -> dict[str, Any]:
    stage.tasks.settle()  # nothing of an earlier order or section is still under way
    mark = stage.calls.mark()
    invocations = Counter(stage.aws.dispatcher.invocations)
    emails, sms = len(stage.aws.sent_emails()), len(stage.aws.sent_sms())
    requests = sum(person.requests for person in stage.people.values())
    acts = Counter(stage.calls.acts)

    started = time.perf_counter()
    order_id, number = drive(stage)
    elapsed = time.perf_counter() - started
    # create_case has returned before the execution succeeds; its mails go out from the outbox after it.
    stage.tasks.settle()
    # The bench's own polling for the execution's end is no part of the order.
    calls = [call for call in stage.calls.since(mark) if call.actor != BENCH]

    history = _history(stage, order_id)
    entered = [event for event in history if event["type"].endswith("StateEntered")]
    writes = [call for call in calls if call.is_write]
    transact_items = Counter(
        f"{kind} [{stage.table_labels.get(table, table) or 'table'}]"
        for call in writes
        for kind, table in call.transact_items
    )
    sent = stage.aws.sent_emails()[emails:]
    return {
        "order_id": order_id,
        "number": number,
        "wall_seconds": elapsed,
        "state_transitions": len(entered),
        "states_entered": [event["stateEnteredEventDetails"]["name"] for event in entered],
        "history_events": len(history),
        "history_event_types": dict(Counter(event["type"] for event in history)),
        "dynamodb_write_calls": dict(counted(writes, stage.table_labels)),
        "dynamodb_write_calls_total": len(writes),
        "transact_write_items": dict(transact_items),
        "items_written_total": sum(transact_items.values()) + sum(1 for call in writes if not call.transact_items),
        "dynamodb_reads": dict(
            counted((c for c in calls if c.service == "dynamodb" and not c.is_write), stage.table_labels)
        ),
        "aws_calls": dict(counted(calls, stage.table_labels)),
        "lambda_invocations": dict(Counter(stage.aws.dispatcher.invocations) - invocations),
        "emails": len(sent),
        "email_recipients": sum(len(message["to"]) for message in sent),
        "emails_by_subject": dict(Counter(message["subject"].replace(number, "<number>") for message in sent)),
        "sms": len(stage.aws.sent_sms()) - sms,
        "http_requests": sum(person.requests for person in stage.people.values()) - requests,
        "by_actor": _by_actor(calls, Counter(stage.calls.acts) - acts),
    }


COLUMNS = ("GetItem", "Query", "writes", "other AWS")


def _by_actor(calls: list[AwsCall], acts: Counter[str]) -> dict[str, dict[str, int]]:
    """Who made which calls: an API route, a workflow task, or moto's engine invoking the tasks."""
    table: dict[str, dict[str, int]] = {}
    for call in calls:
        row = table.setdefault(call.actor, {"runs": acts.get(call.actor, 0), **dict.fromkeys(COLUMNS, 0)})
        if call.service == "dynamodb" and call.operation in ("GetItem", "Query"):
            row[call.operation] += 1
        elif call.is_write:
            row["writes"] += 1
        else:
            row["other AWS"] += 1
    for actor, runs in acts.items():
        table.setdefault(actor, {"runs": runs, **dict.fromkeys(COLUMNS, 0)})
    return table


def _average(orders: list[dict[str, Any]], key: str) -> dict[str, float]:
    names = sorted({name for order in orders for name in order[key]})
    return {name: round(sum(order[key].get(name, 0) for order in orders) / len(orders), 2) for name in names}


def measure(stage: Stage, orders: int) -> dict[str, Any]:
    runs = [_one(stage) for _ in range(orders)]
    scalars = (
        "state_transitions",
        "history_events",
        "dynamodb_write_calls_total",
        "items_written_total",
        "emails",
        "email_recipients",
        "sms",
        "http_requests",
    )
    return {
        "orders": orders,
        "last_order_id": runs[-1]["order_id"],
        "wall": spread([run["wall_seconds"] for run in runs]),
        "states_entered": runs[0]["states_entered"],
        "same_figures_every_order": all(
            all(run[key] == runs[0][key] for key in (*scalars, "dynamodb_write_calls", "lambda_invocations"))
            for run in runs
        ),
        **{key: round(sum(run[key] for run in runs) / len(runs), 2) for key in scalars},
        "by_actor": {
            actor: {
                column: round(sum(run["by_actor"].get(actor, {}).get(column, 0) for run in runs) / len(runs), 2)
                for column in ("runs", *COLUMNS)
            }
            for actor in sorted({actor for run in runs for actor in run["by_actor"]})
        },
        **{
            key: _average(runs, key)
            for key in (
                "history_event_types",
                "dynamodb_write_calls",
                "transact_write_items",
                "dynamodb_reads",
                "aws_calls",
                "lambda_invocations",
                "emails_by_subject",
            )
        },
    }
