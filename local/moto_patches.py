"""Small patches of moto for the embedded AWS, each faithful to what moto did before (tests/integration/
test_moto_patches.py runs the same calls through moto's own code and the patch and compares), and written so
they could be offered upstream. Dev-only: never shipped.

`transact_write_items`: moto backs up every table named in a transaction with `copy.deepcopy` before writing,
so that it can put the copy back if one operation fails. That copy costs as much as the table is big, on every
transaction, and held the embedded AWS's DynamoDB lock for most of a test run. The patch checks every
operation first (moto already refuses two operations on one item, so no operation's condition depends on
another's write) and writes only when all pass; if a write still fails, it puts back just the items written so
far, and the stream records they made.

`Table.query` on a table's own key: moto gathers the candidates from `all_items()`, which walks and sorts every
item of the table, and then keeps those of the queried hash key; a query cost as much as the table was big.
The patch hands that one call the items stored under the hash key (moto keeps them in a dict by hash key), in
the order `all_items()` would give them, so everything after it (sort, pages, limits, filters, projections) is
moto's own code. Queries of an index are left as they are.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table

Errors = list[tuple[str | None, str | None, dict[str, Any] | None]]


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    target_items: set[tuple[str, str]] = set()
    errors: Errors = []
    operations: list[tuple[str, dict[str, Any], str, dict[str, Any]]] = []

    # First every operation is checked against the tables as they are; nothing is written yet.
    for item in transact_items:
        original_item: dict[str, Any] | None = None
        if len(list(item.keys())) > 1:
            raise TransactWriteSingleOpException
        try:
            op_type, op = next(iter(item.items()))
            if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                raise ValueError("Unsupported transaction operation")
            table_name = op["TableName"]
            if op_type == "Put":
                attrs = op["Item"]
                table = self.get_table(table_name)
                key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = attrs[table.range_key_attr]
            else:
                key = op["Key"]
            unique = (str(table_name), str(dict(sorted(key.items()))))
            if unique in target_items:
                raise MultipleTransactionsException()
            target_items.add(unique)

            current = self.get_item(table_name, key)
            condition_expression = op.get("ConditionExpression")
            if condition_expression is not None:
                condition_op = get_filter_expression(
                    condition_expression, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
                )
                if not condition_op.expr(current):
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        original_item = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=original_item)
            operations.append((op_type, op, table_name, key))
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            raise
        except ConditionalCheckFailed as error:
            errors.append(("ConditionalCheckFailed", str(error.message), original_item))
        except Exception as error:  # noqa: BLE001 - reported per operation, as moto does
            errors.append((type(error).__name__, str(error), original_item))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)

    # Then every operation is written; a failure puts back what was written before it.
    with _undo_on_failure() as remember:
        for position, (op_type, op, table_name, key) in enumerate(operations):
            table = self.get_table(table_name)
            remember(table, key)
            try:
                _write(self, op_type, op, table_name, key)
            except (MultipleTransactionsException, MockValidationException):
                raise
            except Exception as error:
                errors[position] = (type(error).__name__, str(error), None)
                raise TransactionCanceledException(errors) from error


def _write(backend: DynamoDBBackend, op_type: str, op: dict[str, Any], table_name: str, key: dict[str, Any]) -> None:
    names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
    condition_expression = op.get("ConditionExpression")
    if op_type == "Put":
        backend.put_item(
            table_name,
            op["Item"],
            condition_expression=condition_expression,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )
    elif op_type == "Delete":
        backend.delete_item(
            table_name,
            key,
            condition_expression=condition_expression,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )
    elif op_type == "Update":
        backend.update_item(
            table_name,
            key,
            update_expression=op["UpdateExpression"],
            condition_expression=condition_expression,
            expression_attribute_names=names,  # type: ignore[arg-type]  # as moto passes them
            expression_attribute_values=values,  # type: ignore[arg-type]
        )


def _key_of(table: Table, key: dict[str, Any]) -> tuple[DynamoType, DynamoType | None]:
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    return DynamoType(key[table.hash_key_attr]), range_value


@contextmanager
def _undo_on_failure() -> Iterator[Any]:
    """Yields `remember(table, key)`, to be called before each write; on failure, puts back every remembered
    item as it was (an update changes an item in place, so each is copied) and drops the stream records made."""
    saved: list[tuple[Table, DynamoType, DynamoType | None, Item | None]] = []
    stream_lengths: dict[int, tuple[Table, int]] = {}

    def remember(table: Table, key: dict[str, Any]) -> None:
        hash_value, range_value = _key_of(table, key)
        if table.stream_shard is not None:
            stream_lengths.setdefault(id(table), (table, len(table.stream_shard.items)))
        saved.append((table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))))

    try:
        yield remember
    except BaseException:
        for table, hash_value, range_value, previous in reversed(saved):
            if range_value is not None:
                if previous is None:
                    table.items[hash_value].pop(range_value, None)
                else:
                    table.items[hash_value][range_value] = previous
            elif previous is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = previous  # type: ignore[assignment]
        for table, length in stream_lengths.values():
            if table.stream_shard is not None:
                del table.stream_shard.items[length:]
        raise


_ORIGINAL_QUERY = Table.query
_ORIGINAL_ALL_ITEMS = Table.all_items
# The table and hash key a `query` on this thread is gathering candidates for; `all_items` reads it.
_keyed = threading.local()


def query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
    """moto's `Table.query`, its candidates looked up by hash key instead of walked (module docstring)."""
    index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
    if index_name or hash_key is None:
        return _ORIGINAL_QUERY(self, hash_key, *args, **kwargs)
    _keyed.lookup = (self, hash_key)
    try:
        return _ORIGINAL_QUERY(self, hash_key, *args, **kwargs)
    finally:
        _keyed.lookup = None


def all_items(self: Table) -> list[Item]:
    """moto's `Table.all_items`; inside a keyed `query` of this table, only the items of its hash key, sorted
    as moto sorts them."""
    lookup = getattr(_keyed, "lookup", None)
    if lookup is None or lookup[0] is not self:
        return _ORIGINAL_ALL_ITEMS(self)
    stored = self.items.get(lookup[1])  # `get`: moto's defaultdict would otherwise grow an empty entry
    if stored is None:
        return []
    items: list[Item] = list(stored.values()) if self.range_key_attr else [stored]  # type: ignore[list-item]
    return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)


@contextmanager
def keyed_queries() -> Iterator[None]:
    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]
    try:
        yield
    finally:
        Table.query = _ORIGINAL_QUERY  # type: ignore[method-assign]
        Table.all_items = _ORIGINAL_ALL_ITEMS  # type: ignore[method-assign]


@contextmanager
def patched() -> Iterator[None]:
    original = DynamoDBBackend.transact_write_items
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]
