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


def filled() -> DynamoDBBackend:
    """Items under several hash keys, put out of order, and an index, so a query has others to skip."""
    dynamodb = DynamoDBBackend("eu-north-1", "123456789012")
    dynamodb.create_table(
        "t",
        schema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        throughput=None,
        attr=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        global_indexes=[
            {
                "IndexName": "by-g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        indexes=None,
        streams=None,
        billing_mode="PAY_PER_REQUEST",
        sse_specification=None,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    for pk, sk in (("a", "3"), ("c", "1"), ("a", "2"), ("d", "9"), ("a", "5"), ("c", "4"), ("a", "4")):
        dynamodb.put_item("t", {"pk": {"S": pk}, "sk": {"S": sk}, "n": {"N": sk}, "g": {"S": "x"}})
    return dynamodb


def query_args(pk: str, **overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "table_name": "t",
        "hash_key_dict": {"S": pk},
        "range_comparison": None,
        "range_value_dicts": [],
        "limit": None,
        "exclusive_start_key": None,
        "scan_index_forward": True,
        "projection_expressions": None,
    }
    return {**arguments, **overrides}


QUERIES = {
    "every item of a key": query_args("a"),
    "a key with none": query_args("z"),
    "a key with one": query_args("d"),
    "backwards": query_args("a", scan_index_forward=False),
    "a range condition": query_args("a", range_comparison="BETWEEN", range_value_dicts=[{"S": "2"}, {"S": "4"}]),
    "begins with": query_args("c", range_comparison="BEGINS_WITH", range_value_dicts=[{"S": "4"}]),
    "a page": query_args("a", limit=2),
    "the next page": query_args("a", limit=2, exclusive_start_key={"pk": {"S": "a"}, "sk": {"S": "3"}}),
    "a filter": query_args("a", filter_expression="n > :two", expr_values={":two": {"N": "2"}}, expr_names={}),
    "a projection": query_args("a", projection_expressions=[["sk"]]),
    "an index, left to moto": query_args("x", index_name="by-g"),
}


def query_outcome(items: dict[str, Any]) -> Any:
    dynamodb = filled()
    try:
        found, scanned, last_key = dynamodb.query(**items)
    except Exception as raised:  # noqa: BLE001 - the error itself is what is compared
        return type(raised).__name__, str(raised)
    return [item.to_json()["Attributes"] for item in found], scanned, last_key


@pytest.mark.parametrize("name", QUERIES)
def test_a_keyed_query_answers_as_motos_own(name: str):
    theirs = query_outcome(QUERIES[name])
    with moto_patches.keyed_queries():
        ours = query_outcome(QUERIES[name])
        # Outside a query, all_items is moto's walk of every item.
        assert len(filled().tables["t"].all_items()) == 7
    assert ours == theirs


def test_a_keyed_query_reads_only_its_hash_key():
    dynamodb = filled()
    walked: list[str] = []
    original = moto_patches._ORIGINAL_ALL_ITEMS

    def counting(self: Any) -> Any:
        walked.append(self.name)
        return original(self)

    with moto_patches.keyed_queries():
        moto_patches._ORIGINAL_ALL_ITEMS = counting  # type: ignore[assignment]
        try:
            found, _, _ = dynamodb.query(**query_args("a"))
        finally:
            moto_patches._ORIGINAL_ALL_ITEMS = original  # type: ignore[assignment]
    assert [item.range_key.value for item in found] == ["2", "3", "4", "5"]  # type: ignore[union-attr]
    assert walked == [], "the table was walked"
