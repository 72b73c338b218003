"""The DynamoDB client under every repository: typing items in and out, reads, and transactions.
AWS error codes are read here and nowhere above."""

from __future__ import annotations

import base64
import binascii
import json
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chalicelib.adapters.dynamo.schema import APPLICATION_TABLE, Index
from chalicelib.shared.pagination import Page, PageRequest, bad_cursor
from chalicelib.shared.transactions import ConcurrentChange, Transaction

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Item = dict[str, Any]

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

# BatchGetItem reads at most 100 keys; keys DynamoDB leaves unprocessed (throttling, the 16 MB limit) are asked
# for again after a pause that doubles, as the SDK's own retries do.
MOST_KEYS_PER_BATCH = 100
UNPROCESSED_ATTEMPTS = 6
FIRST_UNPROCESSED_PAUSE = 0.05

# Keys and bookkeeping: what an item holds beyond the domain model it stores.
BOOKKEEPING = frozenset({*APPLICATION_TABLE.key_attributes, APPLICATION_TABLE.ttl_attribute, "entity"})


def to_dynamo(item: Item) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in item.items() if value is not None}


def from_dynamo(item: dict[str, Any]) -> Item:
    return {key: _plain(_deserializer.deserialize(value)) for key, value in item.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def without_bookkeeping(item: Item, *also: str) -> Item:
    """The item without its keys and bookkeeping (and the attributes `also` names): what the model holds."""
    return {k: v for k, v in item.items() if k not in BOOKKEEPING and k not in also}


def expires_a_day_after(moment: Any) -> int:
    """TTL epoch: DynamoDB removes the item a day after `moment`; expiry itself is checked on read."""
    return int(moment.timestamp()) + 86_400


def _cursor(last_key: Item, partition_key: str) -> str:
    """The position after the last item, without the partition (the query knows it)."""
    position = {name: value for name, value in last_key.items() if name != partition_key}
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode().rstrip("=")


def _position(cursor: str, index: Index | None) -> Item:
    """A cursor back into a position; anything but one of ours (exactly the keys a page of this query ends
    on, less the partition) is refused naming the cursor."""
    expected = {APPLICATION_TABLE.sort_key}
    if index:
        expected |= {APPLICATION_TABLE.partition_key, index.sort_key}
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise bad_cursor() from None
    if (
        not isinstance(position, dict)
        or set(position) != expected
        or not all(isinstance(value, str) and 0 < len(value) <= 400 for value in position.values())
    ):
        raise bad_cursor()
    return position


class DynamoTransaction:
    """Writes that succeed or fail together (one TransactWriteItems, at most 100 items)."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table
        self._writes: list[dict[str, Any]] = []

    def put(
        self, item: Item, condition: str | None = None, values: Item | None = None, names: dict[str, str] | None = None
    ) -> DynamoTransaction:
        put: dict[str, Any] = {"TableName": self._table.name, "Item": to_dynamo(item)}
        if condition:
            put["ConditionExpression"] = condition
        if values:
            put["ExpressionAttributeValues"] = to_dynamo(values)
        if names:
            put["ExpressionAttributeNames"] = names
        self._writes.append({"Put": put})
        return self

    def delete(self, key: Item) -> DynamoTransaction:
        self._writes.append({"Delete": {"TableName": self._table.name, "Key": to_dynamo(key)}})
        return self

    def update(self, key: Item, expression: str, condition: str, values: Item) -> DynamoTransaction:
        self._writes.append(
            {
                "Update": {
                    "TableName": self._table.name,
                    "Key": to_dynamo(key),
                    "UpdateExpression": expression,
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": to_dynamo(values),
                }
            }
        )
        return self

    def check(self, key: Item, condition: str, values: Item, names: dict[str, str] | None = None) -> DynamoTransaction:
        """A condition on an item the transaction does not write."""
        check: dict[str, Any] = {
            "TableName": self._table.name,
            "Key": to_dynamo(key),
            "ConditionExpression": condition,
            "ExpressionAttributeValues": to_dynamo(values),
        }
        if names:
            check["ExpressionAttributeNames"] = names
        self._writes.append({"ConditionCheck": check})
        return self

    def commit(self) -> None:
        if not self._writes:
            return
        try:
            self._table.client.transact_write_items(TransactItems=self._writes)  # type: ignore[arg-type]
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise ConcurrentChange(error.response["Error"].get("Message", "")) from error
            raise


def staged(transaction: Transaction) -> DynamoTransaction:
    """The DynamoDB transaction a repository stages into; a store's repositories share its transactions."""
    if not isinstance(transaction, DynamoTransaction):
        raise TypeError(f"a DynamoDB repository cannot write into {type(transaction).__name__}")
    return transaction


class DynamoTable:
    """Implements `Transactions` for every repository on the table."""

    def __init__(self, client: DynamoDBClient, name: str) -> None:
        self.client = client
        self.name = name

    def begin(self) -> DynamoTransaction:
        return DynamoTransaction(self)

    def get(self, key: Item) -> Item | None:
        response = self.client.get_item(TableName=self.name, Key=to_dynamo(key), ConsistentRead=True)
        return from_dynamo(response["Item"]) if "Item" in response else None

    def get_many(self, keys: list[Item]) -> list[Item | None]:
        """The items of `keys`, in their order (None where there is none), read in one BatchGetItem and strongly
        consistent as `get`. Keys DynamoDB leaves unprocessed are asked for again; still unread after the last
        attempt, the read fails."""
        names = [APPLICATION_TABLE.partition_key, *([APPLICATION_TABLE.sort_key] if APPLICATION_TABLE.sort_key else [])]

        def identity(key: Item) -> tuple[Any, ...]:
            return tuple(key[name] for name in names)

        # DynamoDB refuses a batch that asks for one key twice: each is asked once.
        asked = {identity(key): {name: key[name] for name in names} for key in keys}
        if len(asked) > MOST_KEYS_PER_BATCH:
            raise ValueError(f"one BatchGetItem reads at most {MOST_KEYS_PER_BATCH} keys")
        answered: dict[tuple[Any, ...], Item] = {}
        request: Any = {self.name: {"Keys": [to_dynamo(key) for key in asked.values()], "ConsistentRead": True}}
        pause = FIRST_UNPROCESSED_PAUSE
        for attempt in range(1, UNPROCESSED_ATTEMPTS + 1):
            response = self.client.batch_get_item(RequestItems=request)
            for raw in response.get("Responses", {}).get(self.name, []):
                item = from_dynamo(raw)
                answered[identity(item)] = item
            request = response.get("UnprocessedKeys") or {}
            if not request.get(self.name, {}).get("Keys"):
                return [answered.get(identity(key)) for key in keys]
            if attempt < UNPROCESSED_ATTEMPTS:
                time.sleep(pause)
                pause *= 2
        raise RuntimeError(f"DynamoDB left keys unprocessed after {UNPROCESSED_ATTEMPTS} attempts of BatchGetItem")

    def query(
        self,
        partition: str,
        *,
        index: Index | None = None,
        sort_prefix: str | None = None,
        sort_below: str | None = None,
        sort_between: tuple[str, str] | None = None,
        newest_first: bool = False,
        consistent: bool = False,
        page: PageRequest,
    ) -> Page[Item]:
        """One page of a partition's items in sort-key order (only those whose sort key begins with
        `sort_prefix`, is below `sort_below`, or lies between the two of `sort_between`, both included); `next`
        carries on where it stopped. `consistent` reads every write made before it (the table only; an index is
        always eventually consistent)."""
        pk_name = index.partition_key if index else APPLICATION_TABLE.partition_key
        sk_name = index.sort_key if index else APPLICATION_TABLE.sort_key
        condition = f"{pk_name} = :pk"
        values: Item = {":pk": partition}
        if sum(1 for condition in (sort_prefix, sort_below, sort_between) if condition) > 1:
            raise ValueError("a query has one condition on its sort key")
        if sort_prefix:
            condition += f" AND begins_with({sk_name}, :prefix)"
            values[":prefix"] = sort_prefix
        if sort_below:
            condition += f" AND {sk_name} < :below"
            values[":below"] = sort_below
        if sort_between:
            condition += f" AND {sk_name} BETWEEN :low AND :high"
            values[":low"], values[":high"] = sort_between
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": to_dynamo(values),
            "ScanIndexForward": not newest_first,
            # One more than asked for: a next page is offered only when there is something on it.
            "Limit": page.limit + 1,
        }
        if consistent:
            kwargs["ConsistentRead"] = True
        if index:
            kwargs["IndexName"] = index.name
        if page.cursor:
            kwargs["ExclusiveStartKey"] = to_dynamo({**_position(page.cursor, index), pk_name: partition})
        try:
            response = self.client.query(**kwargs)
        except ClientError as error:
            if page.cursor and error.response["Error"]["Code"] == "ValidationException":
                raise bad_cursor() from error
            raise
        items = [from_dynamo(item) for item in response["Items"]]
        if len(items) > page.limit:
            items = items[: page.limit]
            keys = {APPLICATION_TABLE.partition_key, APPLICATION_TABLE.sort_key, pk_name, sk_name}
            return Page(items, _cursor({name: items[-1][name] for name in keys if name}, pk_name))
        last = response.get("LastEvaluatedKey")  # a page cut short by DynamoDB's 1 MB limit
        return Page(items, _cursor(from_dynamo(last), pk_name) if last else None)

    def query_all(
        self,
        partition: str,
        *,
        index: Index | None = None,
        sort_prefix: str | None = None,
        sort_between: tuple[str, str] | None = None,
        consistent: bool = False,
    ) -> list[Item]:
        """Every item of a partition, page by page (a person's organisation, an order's history)."""
        items: list[Item] = []
        page = PageRequest(limit=1000)
        while True:
            found = self.query(
                partition,
                index=index,
                sort_prefix=sort_prefix,
                sort_between=sort_between,
                consistent=consistent,
                page=page,
            )
            items += found.items
            if found.next is None:
                return items
            page = PageRequest(limit=1000, cursor=found.next)

    def count(self, partition: str, *, index: Index | None = None) -> int:
        """How many items a partition holds, counted by DynamoDB (no item is returned)."""
        pk_name = index.partition_key if index else APPLICATION_TABLE.partition_key
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": f"{pk_name} = :pk",
            "ExpressionAttributeValues": to_dynamo({":pk": partition}),
            "Select": "COUNT",
        }
        if index:
            kwargs["IndexName"] = index.name
        total = 0
        while True:
            response = self.client.query(**kwargs)
            total += int(response["Count"])
            if "LastEvaluatedKey" not in response:
                return total
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def put(self, item: Item, condition: str | None = None, values: Item | None = None) -> bool:
        """A single put; False when `condition` did not hold."""
        kwargs: dict[str, Any] = {"TableName": self.name, "Item": to_dynamo(item)}
        if condition:
            kwargs["ConditionExpression"] = condition
        if values:
            kwargs["ExpressionAttributeValues"] = to_dynamo(values)
        try:
            self.client.put_item(**kwargs)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def update(
        self,
        key: Item,
        expression: str,
        values: Item,
        *,
        names: dict[str, str] | None = None,
        condition: str | None = None,
        returning: str = "NONE",
    ) -> Item | None:
        """An UpdateItem; None when `condition` did not hold (nothing changed)."""
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "Key": to_dynamo(key),
            "UpdateExpression": expression,
            "ExpressionAttributeValues": to_dynamo(values),
            "ReturnValues": returning,
        }
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if condition:
            kwargs["ConditionExpression"] = condition
        try:
            response = self.client.update_item(**kwargs)
        except ClientError as error:
            if condition and error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return from_dynamo(response.get("Attributes", {}))
