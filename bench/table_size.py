"""Request cost with a small and with a large table: keyed reads should not grow with unrelated items."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from boto3.dynamodb.types import TypeSerializer

from bench.measure import AwsCall, median_ms, ratio, spread
from bench.stage import Stage
from chalicelib.adapters.dynamo.ordering import event_item, order_item
from chalicelib.bootstrap import AWS_CONFIG
from chalicelib.ordering.model import HistoryAction, HistoryEvent, Order
from local.people import Person, via_agent_order

WARM_UP = 2
BATCH = 25  # BatchWriteItem's limit
ORGANISATIONS = 400
ORDERERS = 2_000

_serializer = TypeSerializer()


def _to_dynamo(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in item.items() if value is not None}


def unrelated_orders(template: Order, count: int) -> Iterator[dict[str, Any]]:
    """Orders of other orderers in other organisations, each with its first history event, keyed as the
    app keys them (the table adapter's own item mapping)."""
    newest = datetime.now(UTC) - timedelta(days=1)
    for n in range(count):
        at = newest - timedelta(minutes=n)
        organisation = f"bench-org-{n % ORGANISATIONS:03d}"
        orderer = f"bench-orderer-{n % ORDERERS:04d}"
        order = template.model_copy(
            update={
                "order_id": uuid.uuid4().hex,
                "number": f"RITM{8_000_000 + n}",
                "customer_org_id": organisation,
                "customer_name": f"Organisation {organisation}",
                "orderer_id": orderer,
                "orderer_name": f"Orderer {orderer}",
                "created_at": at,
                "updated_at": at,
            }
        )
        submitted = HistoryEvent(
            at=at, action=HistoryAction.SUBMITTED, actor_id=orderer, actor_name=orderer, note=order.number
        )
        yield order_item(order, 1)
        yield event_item(order.order_id, submitted)


def bulk_load(stage: Stage, template: Order, count: int) -> dict[str, Any]:
    client = boto3.session.Session(region_name=stage.aws.environment["AWS_REGION"]).client(
        "dynamodb", config=AWS_CONFIG
    )
    started = time.perf_counter()
    batch: list[dict[str, Any]] = []
    items = 0

    def flush() -> None:
        pending: dict[str, Any] = {stage.table_name: batch}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    for item in unrelated_orders(template, count):
        batch.append({"PutRequest": {"Item": _to_dynamo(item)}})
        items += 1
        if len(batch) == BATCH:
            flush()
            batch = []
    if batch:
        flush()
    return {"orders": count, "items": items, "seconds": round(time.perf_counter() - started, 2)}


def item_count(stage: Stage) -> int:
    client = stage.aws.client("dynamodb")
    return int(client.describe_table(TableName=stage.table_name)["Table"]["ItemCount"])


def _sample(stage: Stage, run: Callable[[], Any], samples: int, warm_up: int = WARM_UP) -> dict[str, Any]:
    this_thread = threading.get_ident()
    for _ in range(warm_up):
        run()
    times: list[float] = []
    outside_aws: list[float] = []
    calls: list[AwsCall] = []
    for _ in range(samples):
        mark = stage.calls.mark()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
        calls = stage.calls.since(mark, this_thread)
        outside_aws.append(times[-1] - sum(call.seconds for call in calls))
    reads = [call for call in calls if call.service == "dynamodb"]
    return {
        **spread(times),
        "outside_aws_median_ms": median_ms(outside_aws),
        "get_item": sum(1 for call in reads if call.operation == "GetItem"),
        "query": sum(1 for call in reads if call.operation == "Query"),
        "scan": sum(1 for call in reads if call.operation == "Scan"),
        "scanned_count": sum(call.scanned_count for call in reads),
    }


def _route(person: Person, path: str) -> Callable[[], Any]:
    def run() -> Any:
        reply = person.get(path)
        if reply.status != 200:
            raise RuntimeError(f"{path} answered {reply.status}: {reply.body}")
        return reply

    return run


def measure(stage: Stage, completed_order_id: str, template: Order, orders: int, samples: int) -> dict[str, Any]:
    olivia, hanna = stage.person("olivia.orderer"), stage.person("hanna.handler")
    waiting = olivia.submit(via_agent_order())  # an order whose approval stays open while the table grows
    if waiting.status != 201:
        raise RuntimeError(f"the submit was refused: {waiting.body}")
    open_approval = hanna.approval_link("granska beställning", waiting.body["number"])
    client = boto3.session.Session(region_name=stage.aws.environment["AWS_REGION"]).client(
        "dynamodb", config=AWS_CONFIG
    )
    probes: dict[str, Callable[[], Any]] = {
        "GET /api/orders?scope=mine": _route(olivia, "/api/orders?scope=mine"),
        "GET /api/orders/<id>": _route(olivia, f"/api/orders/{completed_order_id}"),
        "GET /api/pending": _route(hanna, "/api/pending"),
        "GET /api/approvals/<id>": _route(hanna, f"/api/approvals/{open_approval}"),
        # The emulator's own cost of one keyed read, for comparison with the routes.
        "boto3 GetItem (a user)": lambda: client.get_item(
            TableName=stage.table_name, Key=_to_dynamo({"pk": "USER#hanna.handler", "sk": "PROFILE"})
        ),
        "boto3 Query (a user's pending)": lambda: client.query(
            TableName=stage.table_name,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=_to_dynamo({":pk": "USER#hanna.handler", ":prefix": "PENDING#"}),
        ),
    }
    small_items = item_count(stage)
    small = {name: _sample(stage, run, samples) for name, run in probes.items()}
    loaded = bulk_load(stage, template, orders)
    large_items = item_count(stage)
    # As many samples on the large table as on the small one: with every Query looked up by its key, a large-table
    # request costs what a small-table one does, and fewer samples only made its median the noisier one.
    large_samples = samples
    large = {name: _sample(stage, run, large_samples, warm_up=1) for name, run in probes.items()}
    return {
        "samples": samples,
        "large_samples": large_samples,
        "small_table_items": small_items,
        "large_table_items": large_items,
        "bulk_load": loaded,
        "requests": {
            name: {
                "small": small[name],
                "large": large[name],
                "large_over_small_ratio": ratio(large[name]["median_ms"], small[name]["median_ms"]),
            }
            for name in probes
        },
    }
