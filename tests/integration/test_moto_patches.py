"""The embedded AWS's patch of moto's TransactWriteItems keeps what moto did: the same calls, run through moto's
own code and through the patch on two fresh backends, end with the same answers, items and stream records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from moto.dynamodb.models import DynamoDBBackend

from local import moto_patches

ORIGINAL = DynamoDBBackend.transact_write_items


def backend() -> DynamoDBBackend:
    dynamodb = DynamoDBBackend("eu-north-1", "123456789012")
    dynamodb.create_table(
        "t",
        schema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        throughput=None,
        attr=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
        global_indexes=None,
        indexes=None,
        streams={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        billing_mode="PAY_PER_REQUEST",
        sse_specification=None,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    dynamodb.put_item("t", {"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "1"}})
    dynamodb.put_item("t", {"pk": {"S": "b"}, "sk": {"S": "1"}, "n": {"N": "1"}})
    return dynamodb


def put(pk: str, condition: str | None = None, **attributes: Any) -> dict[str, Any]:
    operation: dict[str, Any] = {"TableName": "t", "Item": {"pk": {"S": pk}, "sk": {"S": "1"}, **attributes}}
    if condition:
        operation["ConditionExpression"] = condition
    return {"Put": operation}


def update(pk: str, expression: str, values: dict[str, Any], condition: str | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "TableName": "t",
        "Key": {"pk": {"S": pk}, "sk": {"S": "1"}},
        "UpdateExpression": expression,
        "ExpressionAttributeValues": values,
    }
    if condition:
        operation["ConditionExpression"] = condition
    return {"Update": operation}


def delete(pk: str) -> dict[str, Any]:
    return {"Delete": {"TableName": "t", "Key": {"pk": {"S": pk}, "sk": {"S": "1"}}}}


def check(pk: str, condition: str) -> dict[str, Any]:
    return {
        "ConditionCheck": {
            "TableName": "t",
            "Key": {"pk": {"S": pk}, "sk": {"S": "1"}},
            "ConditionExpression": condition,
        }
    }


TRANSACTIONS = {
    "all written": [
        put("c", "attribute_not_exists(pk)"),
        update("a", "SET n = n + :one", {":one": {"N": "1"}}),
        delete("b"),
    ],
    "a condition fails": [put("c"), update("a", "SET n = :two", {":two": {"N": "2"}}, "n = :two"), delete("b")],
    "a check fails": [put("c"), check("a", "attribute_not_exists(pk)")],
    "a put over an existing item is refused": [delete("b"), put("a", "attribute_not_exists(pk)")],
    "a write fails after others were made": [put("c"), update("a", "SET n = n + :text", {":text": {"S": "x"}})],
    "one item twice": [put("c"), delete("c")],
    "two operations in one": [{"Put": put("c")["Put"], "Delete": delete("b")["Delete"]}],
}


def outcome(run: Callable[[DynamoDBBackend, list[dict[str, Any]]], None], items: list[dict[str, Any]]) -> Any:
    dynamodb = backend()
    try:
        run(dynamodb, items)
        error = None
    except Exception as raised:  # noqa: BLE001 - the error itself is what is compared
        error = (type(raised).__name__, str(raised), getattr(raised, "cancellation_reasons", None))
    table = dynamodb.tables["t"]
    items_after = sorted((item.to_json()["Attributes"] for item in table.all_items()), key=str)
    stream = [(r.record["eventName"], r.record["dynamodb"]["Keys"]) for r in table.stream_shard.items]  # type: ignore[union-attr]
    return error, items_after, stream


@pytest.mark.parametrize("name", TRANSACTIONS)
def test_the_patched_transaction_ends_as_motos_own(name: str):
    ours = outcome(moto_patches.transact_write_items, TRANSACTIONS[name])
    theirs = outcome(ORIGINAL, TRANSACTIONS[name])
    assert ours == theirs
    if name == "all written":
        assert ours[0] is None
    else:
        assert ours[0] is not None
