"""The embedded AWS's patches of moto keep what moto did: the same calls, run through moto's own code and through
the patches on two fresh backends, end with the same answers, items and stream records."""

from __future__ import annotations

import copy
import json
import threading
import types
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.model import StructureShape
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

from local import moto_patches
from local.embedded_aws import EmbeddedAws

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
    "an index": query_args("x", index_name="by-g", hash_key_conditions=[("g", {"S": "x"})]),
}


def motos_own(dynamodb: DynamoDBBackend) -> DynamoDBBackend:
    """The backend and its tables answering with moto's own methods, whether the patches are on or not (the
    session's embedded AWS has them on during every test)."""
    for owner, name, _, original in moto_patches._PATCHES:
        for target in [dynamodb] if owner is DynamoDBBackend else list(dynamodb.tables.values()):
            setattr(target, name, types.MethodType(original, target))
    return dynamodb


def query_outcome(items: dict[str, Any], prepare: Callable[[DynamoDBBackend], DynamoDBBackend]) -> Any:
    dynamodb = prepare(filled())
    try:
        found, scanned, last_key = dynamodb.query(**items)
    except Exception as raised:  # noqa: BLE001 - the error itself is what is compared
        return type(raised).__name__, str(raised)
    return [item.to_json()["Attributes"] for item in found], scanned, last_key


@pytest.mark.parametrize("name", QUERIES)
def test_a_keyed_query_answers_as_motos_own(name: str):
    theirs = query_outcome(QUERIES[name], motos_own)
    with moto_patches.keyed_queries():
        ours = query_outcome(QUERIES[name], lambda dynamodb: dynamodb)
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


def test_the_patches_stay_on_when_a_context_inside_them_ends():
    with moto_patches.keyed_queries():
        with moto_patches.keyed_queries():
            pass
        assert Table.query is moto_patches.query
        assert DynamoDBBackend.update_item is moto_patches.update_item


def indexed() -> DynamoDBBackend:
    """Orders as the app keys them: owners on an index with a sort key (some items without one, which that index
    leaves out, and some without an owner), groups on an index without one, numbers on a third."""
    dynamodb = DynamoDBBackend("eu-north-1", "123456789012")

    def index(name: str, *keys: str) -> dict[str, Any]:
        schema = [{"AttributeName": key, "KeyType": kind} for key, kind in zip(keys, ("HASH", "RANGE"), strict=False)]
        return {"IndexName": name, "KeySchema": schema, "Projection": {"ProjectionType": "ALL"}}

    dynamodb.create_table(
        "t",
        schema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        throughput=None,
        attr=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "owner", "AttributeType": "S"},
            {"AttributeName": "created", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
            {"AttributeName": "n", "AttributeType": "N"},
        ],
        global_indexes=[index("by-owner", "owner", "created"), index("by-g", "g"), index("by-n", "n")],
        indexes=None,
        streams=None,
        billing_mode="PAY_PER_REQUEST",
        sse_specification=None,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    for number, (pk, sk, owner, created) in enumerate(
        [
            ("c", "1", "o1", "3"),
            ("a", "2", "o1", "2"),
            ("b", "1", "o2", "2"),
            ("a", "1", "o1", "2"),  # the same sort key as a#2: the table key decides
            ("d", "1", "o1", None),  # no sort key: not in by-owner
            ("e", "1", None, "1"),  # no owner: not in by-owner
            ("f", "1", "o1", "5"),
            ("a", "3", "o2", "4"),
        ]
    ):
        item = {"pk": {"S": pk}, "sk": {"S": sk}, "g": {"S": "x" if number % 2 else "y"}, "n": {"N": str(number % 3)}}
        if owner:
            item["owner"] = {"S": owner}
        if created:
            item["created"] = {"S": created}
        dynamodb.put_item("t", item)
    return dynamodb


def index_query(index_name: str, attribute: str, value: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """The arguments moto's Query handler passes for `attribute = value` on an index."""
    return query_args(
        "",
        hash_key_dict=value,
        index_name=index_name,
        hash_key_conditions=[(attribute, value)],
        **overrides,
    )


def between(low: str, high: str) -> dict[str, Any]:
    values = [{"S": low}, {"S": high}]
    return {
        "range_comparison": "BETWEEN",
        "range_value_dicts": values,
        "range_key_conditions": [("created", "BETWEEN", values)],
    }


INDEX_QUERIES = {
    "an owner's items": index_query("by-owner", "owner", {"S": "o1"}),
    "another owner's": index_query("by-owner", "owner", {"S": "o2"}),
    "an owner with none": index_query("by-owner", "owner", {"S": "nobody"}),
    "newest first": index_query("by-owner", "owner", {"S": "o1"}, scan_index_forward=False),
    "a sort key range": index_query("by-owner", "owner", {"S": "o1"}, **between("2", "4")),
    "pages of two": index_query("by-owner", "owner", {"S": "o1"}, limit=2),
    "pages of two, newest first": index_query("by-owner", "owner", {"S": "o1"}, limit=2, scan_index_forward=False),
    "a filter": index_query(
        "by-owner", "owner", {"S": "o1"}, filter_expression="pk <> :a", expr_values={":a": {"S": "a"}}, expr_names={}
    ),
    "a projection": index_query("by-owner", "owner", {"S": "o1"}, projection_expressions=[["pk"], ["created"]]),
    "an index without a sort key": index_query("by-g", "g", {"S": "x"}),
    "its pages": index_query("by-g", "g", {"S": "y"}, limit=3),
    "a number, written otherwise": index_query("by-n", "n", {"N": "1.0"}),
    "an index the table lacks": index_query("by-nothing", "owner", {"S": "o1"}),
}


def index_answer(dynamodb: DynamoDBBackend, arguments: dict[str, Any]) -> Any:
    """Every page of the query, each page's items, ScannedCount and LastEvaluatedKey."""
    pages = []
    start = None
    try:
        while True:
            found, scanned, last_key = dynamodb.query(**{**arguments, "exclusive_start_key": start})
            pages.append(([item.to_json()["Attributes"] for item in found], scanned, last_key))
            if last_key is None:
                return pages
            start = last_key
    except Exception as raised:  # noqa: BLE001 - the error itself is what is compared
        return type(raised).__name__, str(raised)


def item(pk: str, sk: str = "1", **attributes: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}, **{name: {"S": value} for name, value in attributes.items()}}


def key(pk: str, sk: str = "1") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def updating(pk: str, expression: str, values: dict[str, Any] | None = None, **options: Any) -> Callable[..., Any]:
    """An UpdateItem of `pk`'s item, `#o` standing for `owner`."""
    return lambda dynamodb: dynamodb.update_item(
        "t",
        key(pk),
        expression,
        expression_attribute_names={"#o": "owner"} if "#o" in expression else {},
        expression_attribute_values=values or {},
        **options,
    )


def batch_write(puts: list[dict[str, Any]], deletes: list[dict[str, Any]]) -> Callable[..., Any]:
    """What moto's BatchWriteItem handler does with the requests (moto/dynamodb/responses.py)."""

    def write(dynamodb: DynamoDBBackend) -> None:
        for written in puts:
            dynamodb.put_item("t", written)
        for deleted in deletes:
            dynamodb.delete_item("t", deleted)

    return write


def owner_of(pk: str, owner: str) -> dict[str, Any]:
    """A transaction's update that moves an item to another owner, an index's hash key."""
    return {
        "Update": {
            "TableName": "t",
            "Key": key(pk),
            "UpdateExpression": "SET #o = :o",
            "ExpressionAttributeNames": {"#o": "owner"},
            "ExpressionAttributeValues": {":o": {"S": owner}},
        }
    }


def transaction(*operations: dict[str, Any]) -> Callable[..., Any]:
    return lambda dynamodb: moto_patches.transact_write_items(dynamodb, list(operations))


WRITES: dict[str, list[Callable[[DynamoDBBackend], Any]]] = {
    "puts": [
        lambda dynamodb: dynamodb.put_item("t", item("g", owner="o1", created="1")),
        lambda dynamodb: dynamodb.put_item("t", item("c", owner="o2", created="9")),  # moves c to o2
        lambda dynamodb: dynamodb.put_item("t", item("f", g="x")),  # f leaves by-owner
        lambda dynamodb: dynamodb.put_item("t", item("h", owner="o1")),  # no sort key
        lambda dynamodb: dynamodb.put_item(
            "t", item("b", owner="o1", created="0"), condition_expression="attribute_not_exists(pk)"
        ),  # refused
    ],
    "updates that change an index key": [
        updating("c", "SET #o = :o", {":o": {"S": "o2"}}),
        updating("f", "REMOVE #o"),
        updating("d", "SET created = :c", {":c": {"S": "0"}}),  # d enters by-owner
        updating(
            "e",
            "SET #o = :o, g = :g",
            {":o": {"S": "o1"}, ":g": {"S": "x"}},
        ),
        updating(
            "new",
            "SET #o = :o, created = :c",
            {":o": {"S": "o1"}, ":c": {"S": "7"}},
        ),
        updating(
            "b",
            "SET #o = :o",
            {":o": {"S": "o1"}, ":x": {"S": "x"}},
            condition_expression="g = :x",
        ),  # refused
        # a table key without its sort key: refused
        lambda dynamodb: dynamodb.update_item("t", {"pk": {"S": "a"}}, "SET n = :n", {}, {":n": {"N": "1"}}),
    ],
    "deletes": [
        lambda dynamodb: dynamodb.delete_item("t", key("c")),
        lambda dynamodb: dynamodb.delete_item("t", key("missing")),
        lambda dynamodb: dynamodb.delete_item("t", key("b"), condition_expression="attribute_not_exists(pk)"),
        # moto's own delete of every item of a hash key
        lambda dynamodb: dynamodb.tables["t"].delete_item(DynamoType({"S": "a"}), None),
    ],
    "batch writes": [
        batch_write(
            [item("g", owner="o1", created="1"), item("b", owner="o1", created="8"), item("f", g="y")],
            [key("c"), key("a", "2")],
        )
    ],
    "a transaction": [
        transaction(
            put("g", "attribute_not_exists(pk)", owner={"S": "o1"}, created={"S": "6"}),
            owner_of("b", "o1"),
            delete("c"),
        )
    ],
    "a rolled-back transaction": [
        transaction(
            put("g", owner={"S": "o1"}, created={"S": "6"}),
            owner_of("b", "o1"),
            delete("c"),
            # Fails when it is written, after the others were: they are put back.
            {
                "Update": {
                    "TableName": "t",
                    "Key": key("f"),
                    "UpdateExpression": "SET n = n + :text",
                    "ExpressionAttributeValues": {":text": {"S": "x"}},
                }
            },
        )
    ],
}


REFUSED = {
    "puts": [None, None, None, None, "ConditionalCheckFailed"],
    "updates that change an index key": [None] * 5 + ["ConditionalCheckFailed", "MockValidationException"],
    "deletes": [None, None, "ConditionalCheckFailed", None],
    "a rolled-back transaction": ["IncorrectOperandType"],  # raised as moto raises it, after the rollback
}


def index_outcome(writes: list[Callable[[DynamoDBBackend], Any]], prepare: Callable[..., DynamoDBBackend]) -> Any:
    """The answers before the writes (which also build the patch's lookups), each write's error, the answers
    after, and the candidates every index query gathered, in the order moto's sort received them."""
    dynamodb = prepare(indexed())
    table = dynamodb.tables["t"]
    gathered: list[list[tuple[Any, Any]]] = []

    def sorted_items(hash_attrs: list[str], range_attrs: list[str | None], items: list[Any]) -> list[Any]:
        gathered.append([(candidate.hash_key, candidate.range_key) for candidate in items])
        return Table.sorted_items(table, hash_attrs, range_attrs, items)

    table.sorted_items = sorted_items  # type: ignore[method-assign, assignment]
    before = {name: index_answer(dynamodb, arguments) for name, arguments in INDEX_QUERIES.items()}
    errors: list[str | None] = []
    for write in writes:
        try:
            write(dynamodb)
            errors.append(None)
        except Exception as raised:  # noqa: BLE001 - the error itself is what is compared
            errors.append(type(raised).__name__)
    after = {name: index_answer(dynamodb, arguments) for name, arguments in INDEX_QUERIES.items()}
    return before, errors, after, gathered


@pytest.mark.parametrize("name", WRITES)
def test_an_index_query_answers_as_motos_own_after_writes(name: str):
    theirs = index_outcome(WRITES[name], motos_own)
    with moto_patches.keyed_queries():
        ours = index_outcome(WRITES[name], lambda dynamodb: dynamodb)
    assert ours == theirs
    before, errors, after, gathered = theirs
    assert [("a", "1"), ("a", "2"), ("c", "1"), ("f", "1")] in [
        [(hash_key.value, range_key.value) for hash_key, range_key in candidates] for candidates in gathered
    ]
    assert errors == REFUSED.get(name, [None])
    assert (after == before) == (name == "a rolled-back transaction")
    assert before["an index the table lacks"][0] == "MockValidationException"
    assert len(before["pages of two"]) == 2  # four items of o1 on by-owner, two a page


class CountedWalks(defaultdict[Any, Any]):
    """A table's `items` that counts how often every item of the table is read."""

    walks = 0

    def values(self) -> Any:
        self.walks += 1
        return super().values()

    def items(self) -> Any:
        self.walks += 1
        return super().items()

    def __iter__(self) -> Iterator[Any]:
        self.walks += 1
        return super().__iter__()


def test_an_index_query_reads_only_the_items_of_its_key():
    with moto_patches.keyed_queries():
        dynamodb = indexed()
        table = dynamodb.tables["t"]
        for n in range(2_000):
            dynamodb.put_item("t", item(f"other-{n}", owner=f"owner-{n % 200}", created=str(n)))
        table.items = CountedWalks(dict, table.items)
        owners = index_query("by-owner", "owner", {"S": "o1"})

        first = index_answer(dynamodb, owners)
        assert table.items.walks == 1, "the lookup is built once, from the table"
        dynamodb.put_item("t", item("g", owner="o1", created="0"))
        updating("c", "SET #o = :o", {":o": {"S": "o2"}})(dynamodb)
        dynamodb.delete_item("t", key("f"))
        transaction(delete("a"), put("h", owner={"S": "o1"}, created={"S": "4"}))(dynamodb)
        answers = [index_answer(dynamodb, owners) for _ in range(5)]
        assert table.items.walks == 1, "a query or a write after it walked the table"

        theirs = index_answer(motos_own(dynamodb), owners)
    assert answers == [theirs] * 5
    assert answers[0] != first
    assert [(item["pk"]["S"], item["sk"]["S"]) for item in theirs[0][0]] == [("g", "1"), ("a", "2"), ("h", "1")]


# --- DynamoDB's AttributeValue in responses --------------------------------------------------------------------

RICH_ITEM = {
    "pk": {"S": "ORDER#1"},
    "n": {"N": "12.50"},
    "blob": {"B": b"\x00\xffbytes"},
    "strings": {"SS": ["a", "b"]},
    "numbers": {"NS": ["1", "2.5"]},
    "blobs": {"BS": [b"x", b"\x01"]},
    "nothing": {"NULL": True},
    "yes": {"BOOL": True},
    "no": {"BOOL": False},
    "empty": {"S": ""},
    "map": {"M": {"inner": {"S": "x"}, "deeper": {"M": {"list": {"L": [{"N": "1"}, {"S": "two"}]}}}, "gone": None}},
    "list": {"L": [{"M": {"a": {"BOOL": False}}}, None, {"SS": ["s"]}]},
}


def serialized(operation: str, result: Any, structure: Any, service: str = "dynamodb") -> str:
    from moto.core.serialize import BaseJSONSerializer, JSONSerializer, XFormedAttributePicker
    from moto.core.utils import get_service_model

    saved = BaseJSONSerializer._serialize_type_structure
    BaseJSONSerializer._serialize_type_structure = structure  # type: ignore[method-assign]
    try:
        serializer = JSONSerializer(
            operation_model=get_service_model(service).operation_model(operation),
            value_picker=XFormedAttributePicker(response_transformers={}),
        )
        return str(serializer.serialize(result)["body"])
    finally:
        BaseJSONSerializer._serialize_type_structure = saved  # type: ignore[method-assign]


RESULTS = {
    "an item of every type": ("GetItem", {"Item": RICH_ITEM}),
    "a stored item as moto hands it over": ("GetItem", None),
    "a page of a query": ("Query", {"Items": [RICH_ITEM, {"pk": {"S": "b"}}], "Count": 2, "ScannedCount": 2}),
    "a value moto's serializer reads under another name": ("GetItem", {"Item": {"pk": {"s": "lower case"}}}),
    "a value with a member the model has not": ("GetItem", {"Item": {"pk": {"S": "a", "X": "y"}}}),
    "a number given as a number": ("GetItem", {"Item": {"n": {"N": 5}, "s": {"S": 7}}}),
}


@pytest.mark.parametrize("name", RESULTS)
def test_an_attribute_value_is_serialized_as_motos_own_serializer_does(name: str):
    from moto.dynamodb.models.utilities import dynamo_to_dict

    operation, result = RESULTS[name]
    if result is None:
        storable = {"map": {"M": {"inner": {"S": "x"}}}, "list": {"L": [{"M": {"a": {"BOOL": False}}}, {"NULL": True}]}}
        stored = Item(DynamoType({"S": "ORDER#1"}), None, RICH_ITEM | storable)
        result = dynamo_to_dict({"Item": stored.describe_attrs(attributes=None)["Item"]})
    theirs = serialized(operation, result, moto_patches._ORIGINAL_SERIALIZE_STRUCTURE)
    ours = serialized(operation, result, moto_patches.serialize_type_structure)
    assert ours == theirs


def test_the_attribute_value_members_are_the_models():
    from moto.core.utils import get_service_model

    shape: Any = get_service_model("dynamodb").shape_for("AttributeValue")
    assert tuple(shape.members) == moto_patches.ATTRIBUTE_VALUE_MEMBERS


def test_an_attribute_value_is_written_without_motos_attribute_picker():
    from moto.core import serialize

    picked: list[str] = []
    original = serialize.XFormedAttributePicker.get_possible_keys

    def counting(self: Any, context: Any) -> Any:
        picked.append(context.key)
        return original(self, context)

    serialize.XFormedAttributePicker.get_possible_keys = counting  # type: ignore[method-assign]
    try:
        serialized("GetItem", {"Item": RICH_ITEM}, moto_patches.serialize_type_structure)
    finally:
        serialize.XFormedAttributePicker.get_possible_keys = original  # type: ignore[method-assign]
    assert picked == ["Item", "ConsumedCapacity"], "the picker looked an AttributeValue's members up"


# --- DynamoDB's items ------------------------------------------------------------------------------------------


def attributes_of(item: Item) -> Any:
    attributes = {name: value.to_json() for name, value in item.attrs.items()}
    return type(item.attrs), item.hash_key, item.range_key, attributes


def built(init: Callable[..., None], attrs: dict[str, Any]) -> Any:
    item: Item = Item.__new__(Item)  # type: ignore[assignment]
    try:
        init(item, DynamoType({"S": "a"}), DynamoType({"S": "1"}), attrs)
    except Exception as error:  # noqa: BLE001 - compared with moto's own outcome
        return type(error).__name__
    return attributes_of(item)


def sized(total: int) -> dict[str, Any]:
    """Two attributes whose names and values add up to `total` bytes."""
    return {"pk": {"S": "a"}, "big": {"S": "x" * (total - len("pk") - 1 - len("big"))}}


ITEMS: dict[str, dict[str, Any]] = {
    "every type": {name: value for name, value in RICH_ITEM.items() if name not in ("map", "list")},
    "nested": {"m": {"M": {"l": {"L": [{"S": "x"}, {"M": {"n": {"N": "1"}}}]}}}},
    "no attributes": {},
    "at moto's limit": sized(moto_patches.ITEM_SIZE_LIMIT),
    "a byte over moto's limit": sized(moto_patches.ITEM_SIZE_LIMIT + 1),
    "over the limit in its last attribute": {"pk": {"S": "a"}, **{f"a{n}": {"S": "x" * 100_000} for n in range(5)}},
    "multi-byte characters": {"pk": {"S": "å" * 202_000}, "n": {"N": "1"}},
}


@pytest.mark.parametrize("name", ITEMS)
def test_an_item_is_built_as_motos_own_builds_it(name: str):
    assert built(moto_patches.item_init, ITEMS[name]) == built(moto_patches._ORIGINAL_ITEM_INIT, ITEMS[name])


def test_an_item_is_built_without_summing_its_attributes_again():
    from moto.dynamodb.models import dynamo_type

    sizes: list[int] = []
    original = dynamo_type.DynamoType.size

    def counting(self: DynamoType) -> int:
        sizes.append(1)
        return original(self)

    dynamo_type.DynamoType.size = counting  # type: ignore[method-assign]
    try:
        built(moto_patches.item_init, {f"a{n}": {"S": "x"} for n in range(50)})
    finally:
        dynamo_type.DynamoType.size = original  # type: ignore[method-assign]
    assert len(sizes) == 50


def typed(value: Any) -> Any:
    """A DynamoType as plain data, to the last nested value: its type and value, in moto's own terms."""
    if isinstance(value, DynamoType):
        return (value.type, typed(value.value))
    if isinstance(value, dict):
        return {name: typed(inner) for name, inner in value.items()}
    if isinstance(value, list):
        return [typed(inner) for inner in value]
    return value


STORED = {
    **ITEMS["every type"],
    "nested": ITEMS["nested"]["m"],
    "long": {"S": "y" * (moto_patches.INTERNED_UP_TO + 1)},
    "empty map": {"M": {}},
    "empty list": {"L": []},
}


@pytest.mark.parametrize("name", STORED)
def test_a_stored_value_is_built_as_motos_own_builds_it(name: str):
    theirs = DynamoType.__new__(DynamoType)
    moto_patches._ORIGINAL_DYNAMO_TYPE_INIT(theirs, copy.deepcopy(STORED[name]))
    with moto_patches.interned_strings():
        ours = DynamoType(copy.deepcopy(STORED[name]))
        again = DynamoType(ours)  # moto's copy of a DynamoType keeps its parts
    assert typed(ours) == typed(theirs) == typed(again)
    assert ours == theirs and ours.to_json() == theirs.to_json() and ours.size() == theirs.size()


def test_items_parsed_from_separate_requests_hold_one_copy_of_each_short_string():
    def parsed() -> Item:
        item: Item = Item.__new__(Item)  # type: ignore[assignment]
        attrs = json.loads(json.dumps({"status": {"S": "in_progress"}, "order": {"M": {"customer": {"S": "Region"}}}}))
        moto_patches.item_init(item, DynamoType({"S": "a"}), None, attrs)
        return item

    with moto_patches.interned_strings():
        first, second = parsed(), parsed()
        long_first, long_second = (DynamoType({"S": "z" * (moto_patches.INTERNED_UP_TO + 1)}) for _ in range(2))
    (name_1, status_1), (name_2, status_2) = next(iter(first.attrs.items())), next(iter(second.attrs.items()))
    assert name_1 is name_2 and status_1.type is status_2.type and status_1.value is status_2.value
    inner_1, inner_2 = first.attrs["order"].value, second.attrs["order"].value
    assert next(iter(inner_1)) is next(iter(inner_2)) and inner_1["customer"].value is inner_2["customer"].value
    assert long_first.value == long_second.value and long_first.value is not long_second.value


# --- Step Functions: the clients of Task states ----------------------------------------------------------------


def test_a_task_states_client_is_built_once_per_service_and_region():
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.utils import boto_client

    with moto_patches.kept_task_clients():
        assert vars(lambda_eval_utils)["boto_client_for"] is moto_patches.boto_client_for
        first = boto_client.boto_client_for("eu-north-1", "lambda")
        with ThreadPoolExecutor(max_workers=8) as pool:
            again = set(
                pool.map(lambda _: id(vars(lambda_eval_utils)["boto_client_for"]("eu-north-1", "lambda")), range(16))
            )
        other = boto_client.boto_client_for("eu-north-1", "sqs")
        elsewhere = boto_client.boto_client_for("eu-west-1", "lambda")
    assert again == {id(first)}
    assert len({id(first), id(other), id(elsewhere)}) == 3


def test_a_kept_client_is_the_one_moto_builds():
    with moto_patches.kept_task_clients():
        ours = moto_patches.boto_client_for("eu-north-1", "lambda")
    theirs = moto_patches._ORIGINAL_BOTO_CLIENT_FOR("eu-north-1", "lambda")
    for client in (ours, theirs):
        assert client.meta.region_name == "eu-north-1"
    assert ours.meta.endpoint_url == theirs.meta.endpoint_url
    for setting in ("parameter_validation", "retries", "connect_timeout", "read_timeout"):
        assert getattr(ours.meta.config, setting) == getattr(theirs.meta.config, setting), setting
    assert ours._request_signer._credentials.access_key == theirs._request_signer._credentials.access_key  # type: ignore[attr-defined]


def test_the_kept_clients_are_dropped_when_the_patch_ends():
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    outer_on = vars(lambda_eval_utils)["boto_client_for"] is moto_patches.boto_client_for  # the session's embedded AWS
    with moto_patches.kept_task_clients():
        moto_patches.boto_client_for("eu-north-1", "lambda")
    if not outer_on:
        assert vars(lambda_eval_utils)["boto_client_for"] is moto_patches._ORIGINAL_BOTO_CLIENT_FOR
        assert moto_patches._clients == {}


# --- Step Functions: definitions -------------------------------------------------------------------------------


def structure(component: Any, seen: dict[int, int] | None = None) -> Any:
    """A component tree as plain data: every object by its type and attributes, shared objects by first visit."""
    seen = {} if seen is None else seen
    if isinstance(component, str | int | float | bool | type(None)):
        return component
    if isinstance(component, list | tuple):
        return [structure(part, seen) for part in component]
    if isinstance(component, dict):
        return {str(key): structure(value, seen) for key, value in component.items()}
    if id(component) in seen:
        return ("seen", seen[id(component)])
    seen[id(component)] = len(seen)
    attributes = getattr(component, "__dict__", None)
    if attributes is None:
        return type(component).__name__
    return (type(component).__name__, {name: structure(value, seen) for name, value in sorted(attributes.items())})


def test_a_definition_parsed_again_gives_the_program_moto_builds():
    from local.embedded_aws import definition

    text = definition()
    theirs, _ = moto_patches._ORIGINAL_PARSE(text)
    with moto_patches.parsed_definitions():
        moto_patches._trees.clear()
        first, tree = moto_patches.parse(text)
        second, same_tree = moto_patches.parse(text)
    assert same_tree is tree, "the parse tree was not kept"
    assert second is not first, "two executions would share components"
    assert structure(second) == structure(first) == structure(theirs)


def test_a_definition_with_a_syntax_error_is_refused_every_time():
    from moto.stepfunctions.parser.asl.parse.asl_parser import ASLParserException

    with moto_patches.parsed_definitions():
        for _ in range(2):
            with pytest.raises(ASLParserException):
                moto_patches.parse('{"StartAt": "A", "States": {"A": {"Type": "Nope"}}')
        assert '{"StartAt": "A", "States": {"A": {"Type": "Nope"}}' not in moto_patches._trees


def test_only_a_few_parse_trees_are_kept():
    with moto_patches.parsed_definitions():
        moto_patches._trees.clear()
        for n in range(moto_patches.PARSE_TREES_KEPT + 5):
            state = {"Type": "Pass", "Result": n, "End": True}
            moto_patches.parse(json.dumps({"StartAt": "A", "States": {"A": state}}))
        assert len(moto_patches._trees) == moto_patches.PARSE_TREES_KEPT


# --- moto's instance registry ----------------------------------------------------------------------------------


def test_the_registry_holds_the_instances_still_in_use_in_the_order_made():
    import gc

    with moto_patches.weakly_tracked_models():
        kept = [Item(DynamoType({"S": f"kept{n}"}), None, {}) for n in range(3)]
        for n in range(100):
            Item(DynamoType({"S": f"dropped{n}"}), None, {})
        gc.collect()
        tracked = [item for item in Item.instances_tracked if str(item.hash_key.value).startswith(("kept", "dropped"))]  # type: ignore[attr-defined]
        assert tracked == kept


def test_moto_keeps_every_instance_it_ever_made_without_the_patch(monkeypatch):
    import gc

    from moto.core.common_models import BaseModel

    monkeypatch.setattr(BaseModel, "__new__", moto_patches._ORIGINAL_MODEL_NEW)
    monkeypatch.setattr(Item, "instances_tracked", [])
    for n in range(10):
        Item(DynamoType({"S": f"dropped{n}"}), None, {})
    gc.collect()
    assert len(Item.instances_tracked) == 10  # type: ignore[attr-defined]


def test_an_instance_without_a_weak_reference_is_held():
    tracked = moto_patches.WeakInstances()
    tracked.append(5)
    assert list(tracked) == [5]


def test_the_registry_is_a_list_of_the_live_instances_when_the_patch_ends():
    from moto.core.common_models import BaseModel

    on_already = BaseModel.__new__ is moto_patches.model_new  # the session's embedded AWS
    with moto_patches.weakly_tracked_models():
        alive = Item(DynamoType({"S": "alive"}), None, {})
    if not on_already:
        assert isinstance(Item.instances_tracked, list)  # type: ignore[attr-defined]
        assert alive in Item.instances_tracked  # type: ignore[attr-defined]


# --- Step Functions: JSONPath ----------------------------------------------------------------------------------


STATE_INPUT = {"order": {"order_id": "o-1", "steps": [{"step": "agent_approval"}, {"step": "customer_attestation"}]}}


def test_a_json_path_is_parsed_once_and_finds_what_moto_finds(monkeypatch: pytest.MonkeyPatch):
    from moto.stepfunctions.parser.asl.utils import json_path

    paths = ["$.order.order_id", "$.order.steps[1].step", "$.order.steps[*].step", "$.order"]
    # moto's own, whether or not the session's embedded AWS has the patch on
    monkeypatch.setattr(json_path, "parse", moto_patches._ORIGINAL_JSON_PATH_PARSE[json_path])
    theirs = [json_path.extract_json(path, STATE_INPUT) for path in paths]
    with moto_patches.parsed_json_paths():
        kept = moto_patches._KEPT_JSON_PATH_PARSE[json_path]
        kept.cache_clear()
        ours = [json_path.extract_json(path, STATE_INPUT) for path in paths]
        again = [json_path.extract_json(path, STATE_INPUT) for path in paths]
        assert vars(json_path)["parse"]("$.order") is vars(json_path)["parse"]("$.order")
        assert kept.cache_info().misses == len(paths)
    assert ours == again == theirs
    assert ours[0] == "o-1" and ours[2] == ["agent_approval", "customer_attestation"]


def test_a_kept_result_path_writes_each_state_output_as_motos_own():
    from moto.stepfunctions.parser.asl.component.common.path import result_path

    original = moto_patches._ORIGINAL_JSON_PATH_PARSE[result_path]
    with moto_patches.parsed_json_paths():
        assert vars(result_path)["parse"]("$.decision") is vars(result_path)["parse"]("$.decision")
        outputs = [
            vars(result_path)["parse"]("$.decision").update_or_create(json.loads(json.dumps(STATE_INPUT)), {"n": n})
            for n in range(3)
        ]
    theirs = [original("$.decision").update_or_create(json.loads(json.dumps(STATE_INPUT)), {"n": n}) for n in range(3)]
    assert outputs == theirs
    assert [output["decision"] for output in outputs] == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_a_json_path_that_does_not_parse_is_refused_every_time():
    from jsonpath_ng.exceptions import JsonPathParserError
    from moto.stepfunctions.parser.asl.utils import json_path

    with moto_patches.parsed_json_paths():
        for _ in range(2):
            with pytest.raises(JsonPathParserError):
                vars(json_path)["parse"]("$.order[")


def _json_paths_on() -> bool:
    from moto.stepfunctions.parser.asl.utils import json_path

    return vars(json_path)["parse"] is moto_patches._KEPT_JSON_PATH_PARSE[json_path]


def test_the_json_path_patch_ends_with_its_context():
    from moto.stepfunctions.parser.asl.utils import json_path

    outer_on = _json_paths_on()  # the session's embedded AWS
    with moto_patches.parsed_json_paths():
        assert _json_paths_on()
    assert _json_paths_on() is outer_on
    if not outer_on:
        assert vars(json_path)["parse"] is moto_patches._ORIGINAL_JSON_PATH_PARSE[json_path]


# --- moto's action lookup --------------------------------------------------------------------------------------


def test_a_response_classs_methods_are_listed_once_as_moto_lists_them(monkeypatch: pytest.MonkeyPatch):
    import inspect

    from moto.core import responses
    from moto.dynamodb.responses import DynamoHandler

    theirs = frozenset(moto_patches._ORIGINAL_METHOD_NAMES(DynamoHandler))
    listed: list[object] = []
    real_getmembers = inspect.getmembers

    def getmembers(owner: object, *args: Any, **kwargs: Any) -> Any:
        listed.append(owner)
        return real_getmembers(owner, *args, **kwargs)

    monkeypatch.setattr(inspect, "getmembers", getmembers)
    with moto_patches.kept_action_names():
        moto_patches.method_names_from_class.cache_clear()
        first = vars(responses)["method_names_from_class"](DynamoHandler)
        second = vars(responses)["method_names_from_class"](DynamoHandler)
    assert first == second == theirs
    assert "transact_write_items" in first and "get_item" in first
    assert listed.count(DynamoHandler) == 1


def test_the_action_lookup_patch_ends_with_its_context():
    from moto.core import responses

    outer_on = vars(responses)["method_names_from_class"] is moto_patches.method_names_from_class
    with moto_patches.kept_action_names():
        assert vars(responses)["method_names_from_class"] is moto_patches.method_names_from_class
    if not outer_on:
        assert vars(responses)["method_names_from_class"] is moto_patches._ORIGINAL_METHOD_NAMES


def test_sessions_made_with_shared_loaders_read_the_same_models_through_one_loader():
    import botocore.session

    own = moto_patches._ORIGINAL_CREATE_LOADER(None)  # what a session makes without the patch: a loader of its own
    with moto_patches.shared_data_loaders():
        sessions = [botocore.session.Session() for _ in range(2)]
        with moto_patches.shared_data_loaders():  # entered twice, still one loader
            sessions.append(botocore.session.Session())
        loaders = {id(session.get_component("data_loader")) for session in sessions}
        assert len(loaders) == 1 and id(own) not in loaders
        models = [session.get_service_model("dynamodb") for session in sessions]
    expected = own.load_service_model("dynamodb", "service-2")
    assert {frozenset(model.operation_names) for model in models} == {frozenset(expected["operations"])}
    attribute_value = models[0].shape_for("AttributeValue")
    assert isinstance(attribute_value, StructureShape)
    assert attribute_value.members.keys() == expected["shapes"]["AttributeValue"]["members"].keys()


# --- Step Functions: the engine's threads ----------------------------------------------------------------------


def test_the_engines_thread_list_holds_the_threads_still_running():
    import importlib

    holders = [importlib.import_module(name) for name in moto_patches._THREAD_LIST_HOLDERS]
    before = [vars(module)["TMP_THREADS"] for module in holders]
    release = threading.Event()
    with moto_patches.released_threads():
        lists = {id(vars(module)["TMP_THREADS"]) for module in holders}
        threads = vars(holders[0])["TMP_THREADS"]
        ended = threading.Thread(target=lambda: None)
        ended.start()
        ended.join()
        threads.append(ended)
        running = threading.Thread(target=release.wait)
        running.start()
        threads.append(running)
        assert len(lists) == 1 and list(threads) == [running]  # the ended one let go once another came
        release.set()
        running.join()
    assert [vars(module)["TMP_THREADS"] for module in holders] == before
    assert all(vars(module)["TMP_THREADS"] is list_ for module, list_ in zip(holders, before, strict=True))


def test_the_embedded_aws_runs_its_engine_with_the_live_thread_list(aws: EmbeddedAws):
    import importlib

    lists = {id(vars(importlib.import_module(name))["TMP_THREADS"]) for name in moto_patches._THREAD_LIST_HOLDERS}
    held = vars(importlib.import_module(moto_patches._THREAD_LIST_HOLDERS[0]))["TMP_THREADS"]
    assert len(lists) == 1 and isinstance(held, moto_patches.LiveThreads)
