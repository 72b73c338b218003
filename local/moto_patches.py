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
moto's own code.

`Table.query` on an index: moto gathers the candidates the same way, walking and sorting every item of the table
and keeping those whose attributes match the index's hash key condition. The patch keeps, per table and per
attribute an index is queried by, the items by that attribute's value (string, number and binary values, the
types a key can have; a query for a value of another type is left to moto), built from the table on the first
such query and kept up to date by every write from then on: `Table.put_item` and `Table.delete_item` (which
moto's PutItem, DeleteItem, BatchWriteItem, PartiQL and transactions go through), `DynamoDBBackend.update_item`
(which changes the stored item in place) and the rollback of `transact_write_items` above. Each write looks its
item up again by its key, so a write that failed half way is seen as it ended; a write whose key cannot be read
drops the table's lookups, to be built again. The index query's one `all_items()` call gets the items stored
under the queried value, in the order `all_items()` would give them; moto then applies every condition of its
own (all hash key conditions, items missing the index's range key left out), so the candidates are exactly
moto's, and sorting, pages, limits, filters, projections and counts are moto's own code. The lookups are dropped
when the patch is switched on and off, so writes made without it are never missed.

DynamoDB's responses: moto 5.2 writes every response through a serializer that walks the service's model and,
for each member of each structure, tries half a dozen spellings of its name on the result (`AttributePicker`).
An `AttributeValue` is a structure of ten members, so every attribute of every item read cost ten such lookups,
and the serializer was the largest single cost of a GetItem or Query. The patch writes an `AttributeValue` that
moto hands it as a plain dict of the model's own member names (what `dynamo_to_dict` makes) straight into the
same JSON moto's serializer makes: strings as `str`, binaries base64-encoded, sets and lists item by item, maps
value by value (a missing value left out of a map, kept as null in a list, as moto does), booleans as they are.
Anything else (another shape, another spelling, a response transformer registered for a path) is moto's own code.

Step Functions' engine: for every Task state moto builds a new boto3 client (`boto_client_for`), which costs a
model load and an endpoint resolution each time. The patch keeps one client per service, region and endpoint
(moto's arguments are the same for every call), built under a lock, and dropped when the patch ends, so no
client outlives the mock it was made for.

Step Functions' definitions: moto parses the state machine's definition with ANTLR again for every execution it
starts (`ExecutionWorker._get_evaluation_entrypoint`), which cost more than the execution's own states. The patch
keeps the parse tree of each definition parsed without a syntax error (a few, least recently used first out) and
builds the program from it afresh each time with moto's own `Preprocessor`, so no execution shares a component
with another; a definition with errors is parsed, and refused, every time, as before.

`Item.__init__`: moto stores each attribute of a new item through `LimitedSizeDict.__setitem__`, which adds up
the size of every attribute stored so far before taking the next, so building an item of n attributes cost n²
size computations, on every put and every stored copy. The patch makes the same check, the size so far plus the
new attribute's against moto's limit, with the sum kept as it grows (nothing else can change the item while it is
being built), and stores the attributes in the same `LimitedSizeDict`.

DynamoDB's stored strings: moto keeps each item as parsed from its request's JSON, so every item held its own
copy of each attribute name, each type name (`S`, `M`, ...) and each value, though most repeat from item to item
(an order's id in its history, a customer's name, a status); on the local product they were five sixths of the
strings the table held. The patch keeps each short string (up to 128 characters) once, with `sys.intern`, when
moto builds a `DynamoType` (its type, a string value, a map's names) and when an item stores its attribute
names. Equal strings stay equal, nothing is changed in place (strings cannot be), and an interned string is
freed when nothing holds it any more.

moto's instance registry: every object of a moto model (`BaseModel`: a DynamoDB item, a stream record, an SQS
message, an execution) is appended to its class's `instances_tracked` list when it is made, for moto's dashboard
(`/moto-api/data.json`), and never taken out. Every item ever written, every version an update or a put replaced
and every copy a transaction kept to undo itself stayed in memory for good: the product grew by each order's
writes many times over. The patch keeps the registry as weak references (an object that cannot have one is held as
before), so an object the backends no longer hold is freed; iterating the registry gives the objects still alive,
in the order made, which is all its readers need (the dashboard shows the state; S3's reset disposes of the keys
still open). Nothing in the product or its tests reads it.

Step Functions' JSONPath: moto parses each JSONPath of a state (`InputPath`, `ResultPath`, a `$.field` of
`Parameters`, a Choice's `Variable`) with jsonpath_ng every time the state is evaluated: a PLY parser run for
every path of every state of every execution, the largest single cost of moto's engine. The patch keeps the parsed
expression of each path (the most recent few hundred) in moto's two modules that call `parse`, each with its own
`parse` (`jsonpath_ng.ext` for reading, `jsonpath_ng` for `ResultPath`). jsonpath_ng's expressions are not changed
by `find` or `update_or_create` (they set their attributes only when built), so one expression serves every
evaluation; a path that does not parse raises on every evaluation, as before.

moto's action lookup: for every call, `BaseResponse.call_action` lists the methods of the service's response class
with `inspect.getmembers` to see whether the action is one of them. The patch keeps each class's method names,
listed the same way on the class's first call: moto's response classes do not gain or lose methods while they
serve (a class changed while the patch is on is listed as it first was, so the patch is on only around a whole
embedded AWS).

Step Functions' threads: moto's engine runs each execution, each state's evaluation and each wait for a task
token in a thread of its own, and appends every thread to a module list (`TMP_THREADS`, kept from LocalStack,
where it is used to stop them on shutdown; nothing in moto reads it). Every thread of every execution stayed in
memory, with its events, locks and conditions. The patch hands those modules a list that lets go of the threads
that ended each time one is added, so it holds the ones still running, which is all a reader could stop.

botocore's data loader: every botocore session makes a loader of its own, which reads and keeps each service's
model as its clients ask for it. The embedded AWS's process has three sessions (the app's, boto3's default one
that moto's Step Functions engine and the event sources make clients from, and the one moto reads its service
models from), so each model was held up to three times, about 10 MB of a start. The patch keeps one loader per
search path (botocore's own `create_loader`, called once) for every session made while it is on. A loader only
reads files and keeps what it read (botocore shares one across all the clients of a session already), and the
models it gives are not changed by their readers.

Like moto itself, the patches of DynamoDB's tables (transactions, queries and the writes that keep the lookups)
are not thread-safe: the embedded AWS runs one DynamoDB call at a time (`_serialised` in local/embedded_aws.py).
The serializer and item patches keep no state; the kept clients, parse trees and registry each have a lock.
"""

from __future__ import annotations

from local import moto_imports  # noqa: F401 - first: moto's Batch package loads when used (see there)

# isort: split
import base64
import contextlib
import copy
import functools
import importlib
import sys
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from typing import Any

from botocore import session as botocore_session
from botocore.client import BaseClient
from botocore.loaders import Loader
from moto.core import responses as moto_responses
from moto.core.common_models import BaseModel
from moto.core.model_instances import model_data
from moto.core.serialize import BaseJSONSerializer
from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    ItemSizeTooLarge,
    MockValidationException,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodb.models.utilities import bytesize
from moto.stepfunctions.parser.asl.component.common.path import result_path as moto_result_path
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
from moto.stepfunctions.parser.asl.utils import boto_client as moto_boto_client
from moto.stepfunctions.parser.asl.utils import json_path as moto_json_path

Errors = list[tuple[str | None, str | None, dict[str, Any] | None]]


@contextmanager
def _replaced(replacements: list[tuple[Any, str, Any]]) -> Iterator[None]:
    """Each module's or class's attribute `name` replaced for as long as the context lasts, the originals put
    back and any cache of a replacement (`functools`) emptied when it ends; nothing changes inside a context that
    has them on."""
    if all(vars(owner)[name] is replacement for owner, name, replacement in replacements):
        yield
        return
    originals = [vars(owner)[name] for owner, name, _ in replacements]
    for owner, name, replacement in replacements:
        setattr(owner, name, replacement)
    try:
        yield
    finally:
        for (owner, name, replacement), original in zip(replacements, originals, strict=True):
            setattr(owner, name, original)
            if hasattr(replacement, "cache_clear"):
                replacement.cache_clear()


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
            _rewritten(table, (hash_value, range_value))
        for table, length in stream_lengths.values():
            if table.stream_shard is not None:
                del table.stream_shard.items[length:]
        raise


_ORIGINAL_QUERY = Table.query
_ORIGINAL_ALL_ITEMS = Table.all_items
_ORIGINAL_PUT_ITEM = Table.put_item
_ORIGINAL_DELETE_ITEM = Table.delete_item
_ORIGINAL_UPDATE_ITEM = DynamoDBBackend.update_item
# The table, the attribute (None: the table's own hash key) and the value a `query` on this thread is gathering
# candidates for; `all_items` reads it.
_keyed = threading.local()
# Only these types can be a key's; a value of another type never equals one.
KEY_TYPES = frozenset({"S", "N", "B"})

Key = tuple[DynamoType, DynamoType | None]


class ItemsByAttribute:
    """A table's items by the value of one attribute, as an index with that hash key would hold them."""

    def __init__(self, table: Table, attribute: str) -> None:
        self.attribute = attribute
        self.items: dict[DynamoType, dict[Key, Item]] = {}
        self.values: dict[Key, DynamoType] = {}
        for stored in table.items.values():
            items: list[Item] = list(stored.values()) if table.range_key_attr else [stored]  # type: ignore[list-item]
            for item in items:
                self.add((item.hash_key, item.range_key), item)

    def add(self, key: Key, item: Item) -> None:
        value = item.attrs.get(self.attribute)
        if value is not None and value.type in KEY_TYPES:
            self.items.setdefault(value, {})[key] = item
            self.values[key] = value

    def remove(self, key: Key) -> None:
        value = self.values.pop(key, None)
        if value is not None:
            under_value = self.items[value]
            del under_value[key]
            if not under_value:
                del self.items[value]


# Per table, per attribute queried: kept up to date by every write while the patch is on.
_lookups: weakref.WeakKeyDictionary[Table, dict[str, ItemsByAttribute]] = weakref.WeakKeyDictionary()


def _stored_item(table: Table, key: Key) -> Item | None:
    stored = table.items.get(key[0])  # `get`: moto's defaultdict would otherwise grow an empty entry
    if stored is None or not table.range_key_attr:
        return stored  # type: ignore[return-value]
    return stored.get(key[1])  # type: ignore[union-attr]


def _rewritten(table: Table, key: Key | None) -> None:
    """After a write of `key`: its item, as it is stored now, replaces what the table's lookups held under it.
    A write whose key is not known (None, or no range key on a table with one, which moto reads as every item
    of the hash key) drops the table's lookups, to be built again by the next index query."""
    lookups = _lookups.get(table)
    if not lookups:
        return
    if key is None or (table.range_key_attr and key[1] is None):
        del _lookups[table]
        return
    item = _stored_item(table, key)
    for lookup in lookups.values():
        lookup.remove(key)
        if item is not None:
            lookup.add(key, item)


def _key_in(table: Table, attributes: dict[str, Any]) -> Key | None:
    """The table key that an item's or a request's attributes name, or None if they name none moto could store."""
    names = [table.hash_key_attr, *([table.range_key_attr] if table.range_key_attr else [])]
    values = [attributes.get(name) for name in names]
    if not all(isinstance(value, dict) and len(value) == 1 and next(iter(value)) in KEY_TYPES for value in values):
        return None
    hash_value, *range_value = (DynamoType(value) for value in values)  # type: ignore[arg-type]
    return hash_value, range_value[0] if range_value else None


def put_item(self: Table, item_attrs: dict[str, Any], *args: Any, **kwargs: Any) -> Item:
    """moto's `Table.put_item`, which then updates the table's lookups."""
    try:
        return _ORIGINAL_PUT_ITEM(self, item_attrs, *args, **kwargs)
    finally:
        if self in _lookups:
            _rewritten(self, _key_in(self, item_attrs))


def delete_item(self: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Item | None:
    """moto's `Table.delete_item`, which then updates the table's lookups."""
    try:
        return _ORIGINAL_DELETE_ITEM(self, hash_key, range_key)
    finally:
        _rewritten(self, (hash_key, range_key))


def update_item(self: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Item:
    """moto's `DynamoDBBackend.update_item`, which changes the stored item in place, then updates its table's
    lookups."""
    try:
        return _ORIGINAL_UPDATE_ITEM(self, table_name, key, *args, **kwargs)
    finally:
        table = self.tables.get(table_name)
        if table is not None and table in _lookups:
            _rewritten(table, _key_in(table, key))


def query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
    """moto's `Table.query`, its candidates looked up by hash key, the table's or the index's, instead of walked
    (module docstring)."""
    index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
    if index_name:
        # moto keeps the last condition of an attribute named twice; the first attribute's items hold every match.
        conditions = dict(kwargs.get("hash_key_conditions") or ())
        if not conditions:
            return _ORIGINAL_QUERY(self, hash_key, *args, **kwargs)
        attribute, value = next(iter(conditions.items()))
        if value.type not in KEY_TYPES:
            return _ORIGINAL_QUERY(self, hash_key, *args, **kwargs)
        _keyed.lookup = (self, attribute, value)
    elif hash_key is None:
        return _ORIGINAL_QUERY(self, hash_key, *args, **kwargs)
    else:
        _keyed.lookup = (self, None, hash_key)
    try:
        return _ORIGINAL_QUERY(self, hash_key, *args, **kwargs)
    finally:
        _keyed.lookup = None


def all_items(self: Table) -> list[Item]:
    """moto's `Table.all_items`; inside a keyed `query` of this table, only the items of its hash key, or of the
    index's hash key value, sorted as moto sorts them."""
    lookup = getattr(_keyed, "lookup", None)
    if lookup is None or lookup[0] is not self:
        return _ORIGINAL_ALL_ITEMS(self)
    _, attribute, value = lookup
    items: list[Item]
    if attribute is None:
        stored = self.items.get(value)
        if stored is None:
            return []
        items = list(stored.values()) if self.range_key_attr else [stored]  # type: ignore[list-item]
    else:
        lookups = _lookups.setdefault(self, {})
        if attribute not in lookups:
            lookups[attribute] = ItemsByAttribute(self, attribute)
        items = list(lookups[attribute].items.get(value, {}).values())
    return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)


_PATCHES: tuple[tuple[Any, str, Any, Any], ...] = (
    (Table, "query", query, _ORIGINAL_QUERY),
    (Table, "all_items", all_items, _ORIGINAL_ALL_ITEMS),
    (Table, "put_item", put_item, _ORIGINAL_PUT_ITEM),
    (Table, "delete_item", delete_item, _ORIGINAL_DELETE_ITEM),
    (DynamoDBBackend, "update_item", update_item, _ORIGINAL_UPDATE_ITEM),
)


@contextmanager
def keyed_queries() -> Iterator[None]:
    """The query patches, on for as long as the context lasts; inside a context that has them on already (the
    tests' embedded AWS), nothing changes, and they stay on when it ends."""
    if Table.query is query:
        yield
        return
    _lookups.clear()
    for owner, name, patch, _ in _PATCHES:
        setattr(owner, name, patch)
    try:
        yield
    finally:
        for owner, name, _, original in _PATCHES:
            setattr(owner, name, original)
        _lookups.clear()


@contextmanager
def patched() -> Iterator[None]:
    original = DynamoDBBackend.transact_write_items
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]


# --- DynamoDB's AttributeValue in responses --------------------------------------------------------------------

_ORIGINAL_SERIALIZE_STRUCTURE = BaseJSONSerializer._serialize_type_structure
ATTRIBUTE_VALUE_SERVICES = frozenset({"dynamodb", "dynamodbstreams"})


class _NotPlain(Exception):
    """The value is not a plain dict of `AttributeValue`'s members: moto's own serializer writes it."""


def _string(value: Any) -> Any:
    # As moto's `_serialize_type_string`.
    if isinstance(value, Enum):
        value = value.value
    return str(value) if value not in [None, {}, []] else value


def _blob(value: Any) -> str:
    # As moto's `_base64`.
    if isinstance(value, str):
        value = value.encode("utf-8")
    if not isinstance(value, bytes):
        raise _NotPlain
    return base64.b64encode(value).strip().decode("utf-8")


def _items(value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise _NotPlain
    return list(value)


def _attribute_value(value: Any) -> dict[str, Any]:
    """What moto's serializer makes of an `AttributeValue` given as a plain dict of its member names; raises
    `_NotPlain` for anything else. Members in the model's order, as moto writes them."""
    if not isinstance(value, dict) or not value.keys() <= _MEMBERS:
        raise _NotPlain
    written: dict[str, Any] = {}
    for member in ATTRIBUTE_VALUE_MEMBERS:
        if value.get(member) is None:
            continue
        member_value = value[member]
        if member in ("S", "N"):
            written[member] = _string(member_value)
        elif member == "B":
            written[member] = _blob(member_value)
        elif member in ("SS", "NS"):
            written[member] = [_string(item) for item in _items(member_value)]
        elif member == "BS":
            written[member] = [_blob(item) for item in _items(member_value)]
        elif member == "M":
            if not isinstance(member_value, dict):
                raise _NotPlain
            written[member] = {name: _attribute_value(item) for name, item in member_value.items() if item is not None}
        elif member == "L":
            written[member] = [None if item is None else _attribute_value(item) for item in _items(member_value)]
        else:  # NULL, BOOL: booleans are written as they are
            written[member] = member_value
    return written


# The members of DynamoDB's `AttributeValue`, in the model's order (the patch test checks them against botocore's).
ATTRIBUTE_VALUE_MEMBERS = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")
_MEMBERS = frozenset(ATTRIBUTE_VALUE_MEMBERS)


def serialize_type_structure(self: BaseJSONSerializer, serialized: Any, value: Any, shape: Any, key: str) -> None:
    """moto's JSON `_serialize_type_structure`; a DynamoDB `AttributeValue` given as a plain dict is written
    directly (module docstring)."""
    if (
        key
        and shape.name == "AttributeValue"
        and self.service_model.service_name in ATTRIBUTE_VALUE_SERVICES
        and not getattr(self._value_picker, "response_transformers", None)
    ):
        try:
            serialized[self.get_serialized_name(shape, key)] = _attribute_value(value)
            return
        except _NotPlain:
            pass
    _ORIGINAL_SERIALIZE_STRUCTURE(self, serialized, value, shape, key)


@contextmanager
def plain_attribute_values() -> Iterator[None]:
    """The serializer patch, on for as long as the context lasts (nothing changes inside a context that has it on)."""
    if BaseJSONSerializer._serialize_type_structure is serialize_type_structure:
        yield
        return
    BaseJSONSerializer._serialize_type_structure = serialize_type_structure  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        BaseJSONSerializer._serialize_type_structure = _ORIGINAL_SERIALIZE_STRUCTURE  # type: ignore[method-assign]


# --- Step Functions' clients for Task states -------------------------------------------------------------------

_ORIGINAL_BOTO_CLIENT_FOR = moto_boto_client.boto_client_for
_clients: dict[tuple[str, str, str | None], BaseClient] = {}
_clients_lock = threading.Lock()


def boto_client_for(region: str, service: str, state_credentials: Any = None) -> BaseClient:
    """moto's `boto_client_for`, one client kept per service, region and endpoint: moto builds every client with
    the same fixed keys and configuration, and ignores `state_credentials`."""
    from moto.core.models import botocore_stubber
    from moto.settings import moto_server_port

    endpoint = None if botocore_stubber.enabled else f"http://localhost:{moto_server_port()}"
    key = (region, service, endpoint)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = _ORIGINAL_BOTO_CLIENT_FOR(region, service, state_credentials)
        return client


def _boto_client_importers() -> list[Any]:
    """moto's Step Functions modules that imported `boto_client_for` by name (each Task kind has its own)."""
    import moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils  # noqa: F401

    return [
        module
        for name, module in list(sys.modules.items())
        if name.startswith("moto.stepfunctions.parser") and getattr(module, "boto_client_for", None) is not None
    ]


@contextmanager
def kept_task_clients() -> Iterator[None]:
    """The Step Functions client patch, on for as long as the context lasts (nothing changes inside a context that
    has it on)."""
    if moto_boto_client.boto_client_for is boto_client_for:
        yield
        return
    for module in _boto_client_importers():
        module.boto_client_for = boto_client_for
    try:
        yield
    finally:
        # Modules imported meanwhile took the patch from moto's module: they are put back too.
        for module in _boto_client_importers():
            if module.boto_client_for is boto_client_for:
                module.boto_client_for = _ORIGINAL_BOTO_CLIENT_FOR
        with _clients_lock:
            _clients.clear()


# --- Step Functions' definitions ----------------------------------------------------------------------------

_ORIGINAL_PARSE = AmazonStateLanguageParser.parse
PARSE_TREES_KEPT = 16
_trees: OrderedDict[str, Any] = OrderedDict()
_trees_lock = threading.Lock()


def parse(definition: str) -> tuple[Any, Any]:
    """moto's `AmazonStateLanguageParser.parse`, the ANTLR parse tree of a definition kept; the program is built
    from it by moto's `Preprocessor` on every call, as moto builds it."""
    with _trees_lock:
        tree = _trees.get(definition)
        if tree is not None:
            _trees.move_to_end(definition)
    if tree is None:
        program, tree = _ORIGINAL_PARSE(definition)  # raises on a syntax error: nothing is kept
        with _trees_lock:
            _trees[definition] = tree
            while len(_trees) > PARSE_TREES_KEPT:
                _trees.popitem(last=False)
        return program, tree
    return Preprocessor().visit(tree), tree


@contextmanager
def parsed_definitions() -> Iterator[None]:
    """The definition patch, on for as long as the context lasts (nothing changes inside a context that has it on)."""
    if AmazonStateLanguageParser.parse is parse:
        yield
        return
    AmazonStateLanguageParser.parse = staticmethod(parse)  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        AmazonStateLanguageParser.parse = staticmethod(_ORIGINAL_PARSE)  # type: ignore[method-assign,assignment]
        with _trees_lock:
            _trees.clear()


# --- DynamoDB's items ------------------------------------------------------------------------------------------

_ORIGINAL_ITEM_INIT = Item.__init__
# moto's limit in `LimitedSizeDict.__setitem__` (between the 400 KB documented and the 409-410 KB measured).
ITEM_SIZE_LIMIT = 405000


def item_init(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    """moto's `Item.__init__`, the size check of each attribute made on a running sum (module docstring)."""
    self.hash_key = hash_key
    self.range_key = range_key
    self.attrs = LimitedSizeDict()
    size = 0
    for key, value in attrs.items():
        attribute = DynamoType(value)
        attribute_size = bytesize(key) + attribute.size()
        if size + attribute_size > ITEM_SIZE_LIMIT:
            raise ItemSizeTooLarge
        dict.__setitem__(self.attrs, _kept_once(key), attribute)
        size += attribute_size


def summed_item_sizes() -> contextlib.AbstractContextManager[None]:
    """The item patch, on for as long as the context lasts."""
    return _replaced([(Item, "__init__", item_init)])


# --- DynamoDB's stored strings -----------------------------------------------------------------------------------

_ORIGINAL_DYNAMO_TYPE_INIT = DynamoType.__init__
# Strings longer than this are kept as they come: an id or a text of that length seldom repeats.
INTERNED_UP_TO = 128


def _kept_once(text: Any) -> Any:
    """`text` as the one string of its value the process keeps (`sys.intern`), if it is a short `str`."""
    return sys.intern(text) if type(text) is str and len(text) <= INTERNED_UP_TO else text


def dynamo_type_init(self: DynamoType, type_as_dict: DynamoType | dict[str, Any]) -> None:
    """moto's `DynamoType.__init__`, with its type, a string value and a map's names each kept once (module
    docstring)."""
    if type(type_as_dict) is DynamoType:
        self.type = type_as_dict.type
        self.value = type_as_dict.value
    else:
        self.type = _kept_once(next(iter(type_as_dict)))  # type: ignore[arg-type]
        self.value = _kept_once(next(iter(type_as_dict.values())))  # type: ignore[union-attr]
    if self.is_list():
        self.value = [DynamoType(value) for value in self.value]
    elif self.is_map():
        self.value = {_kept_once(name): DynamoType(value) for name, value in self.value.items()}


def interned_strings() -> contextlib.AbstractContextManager[None]:
    """The strings patch, on for as long as the context lasts."""
    return _replaced([(DynamoType, "__init__", dynamo_type_init)])


# --- moto's instance registry ----------------------------------------------------------------------------------

_ORIGINAL_MODEL_NEW = BaseModel.__new__


class WeakInstances:
    """A class's `instances_tracked`, as weak references: appended to and iterated as moto does with its list."""

    def __init__(self, instances: Any = ()) -> None:
        self._refs: list[Callable[[], Any]] = []
        self._lock = threading.Lock()
        self._compact_at = 1024
        for instance in instances:
            self.append(instance)

    def append(self, instance: Any) -> None:
        try:
            ref: Callable[[], Any] = weakref.ref(instance)
        except TypeError:  # no weak reference to it (`__slots__`): held, as moto holds every instance

            def ref(held: Any = instance) -> Any:
                return held

        with self._lock:
            self._refs.append(ref)
            if len(self._refs) >= self._compact_at:
                self._refs = [alive for alive in self._refs if alive() is not None]
                self._compact_at = max(1024, 2 * len(self._refs))

    def _alive(self) -> list[Any]:
        with self._lock:
            refs = list(self._refs)
        return [instance for instance in (ref() for ref in refs) if instance is not None]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._alive())

    def __len__(self) -> int:
        return len(self._alive())


def model_new(cls: Any, *args: Any, **kwargs: Any) -> Any:
    """moto's `BaseModel.__new__`, the instance registered weakly (module docstring)."""
    instance = super(BaseModel, cls).__new__(cls)
    tracked = cls.__dict__.get("instances_tracked")
    if not isinstance(tracked, WeakInstances):
        # moto's metaclass gave the class a list, or moto's reset gave it a new one.
        tracked = WeakInstances(tracked or ())
        cls.instances_tracked = tracked
    tracked.append(instance)
    return instance


@contextmanager
def weakly_tracked_models() -> Iterator[None]:
    """The registry patch, on for as long as the context lasts (nothing changes inside a context that has it on);
    when it ends, every class's registry is a list of its instances still alive, as moto keeps it."""
    if BaseModel.__new__ is model_new:
        yield
        return
    BaseModel.__new__ = model_new  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        BaseModel.__new__ = _ORIGINAL_MODEL_NEW  # type: ignore[method-assign]
        for models in model_data.values():
            for model in models.values():
                tracked = model.__dict__.get("instances_tracked")
                if isinstance(tracked, WeakInstances):
                    model.instances_tracked = list(tracked)  # type: ignore[attr-defined]


# --- Step Functions' JSONPath ----------------------------------------------------------------------------------

JSON_PATHS_KEPT = 512
# moto's modules that call jsonpath_ng's `parse` by name, each with the `parse` it imported.
_JSON_PATH_MODULES = (moto_json_path, moto_result_path)
_ORIGINAL_JSON_PATH_PARSE: dict[Any, Callable[[str], Any]] = {
    module: vars(module)["parse"] for module in _JSON_PATH_MODULES
}
_KEPT_JSON_PATH_PARSE = {
    module: functools.lru_cache(maxsize=JSON_PATHS_KEPT)(original)
    for module, original in _ORIGINAL_JSON_PATH_PARSE.items()
}


def parsed_json_paths() -> contextlib.AbstractContextManager[None]:
    """The JSONPath patch, on for as long as the context lasts."""
    return _replaced([(module, "parse", _KEPT_JSON_PATH_PARSE[module]) for module in _JSON_PATH_MODULES])


# --- moto's action lookup --------------------------------------------------------------------------------------

_ORIGINAL_METHOD_NAMES: Callable[[object], list[str]] = vars(moto_responses)["method_names_from_class"]


@functools.cache
def method_names_from_class(clazz: object) -> frozenset[str]:
    """moto's `method_names_from_class`, listed once per class (module docstring)."""
    return frozenset(_ORIGINAL_METHOD_NAMES(clazz))


def kept_action_names() -> contextlib.AbstractContextManager[None]:
    """The action lookup patch, on for as long as the context lasts."""
    return _replaced([(moto_responses, "method_names_from_class", method_names_from_class)])


# --- Step Functions' threads ----------------------------------------------------------------------------------


class LiveThreads(list[threading.Thread]):
    """moto's `TMP_THREADS`, holding the threads still running: each append first lets go of those that ended."""

    def append(self, thread: threading.Thread) -> None:
        self[:] = [held for held in self if held.is_alive()]
        super().append(thread)


# moto's modules that imported `TMP_THREADS` by name, and the module that made it.
_THREAD_LIST_HOLDERS = (
    "moto.stepfunctions.parser.utils",
    "moto.stepfunctions.parser.asl.component.program.program",
    "moto.stepfunctions.parser.asl.component.test_state.program.test_state_program",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.inline_iteration_component",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback",
    "moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branch_worker",
    "moto.stepfunctions.parser.asl.component.state.exec.execute_state",
    "moto.stepfunctions.parser.backend.execution_worker",
)


def released_threads() -> contextlib.AbstractContextManager[None]:
    """The threads patch, on for as long as the context lasts."""
    live = LiveThreads()
    holders = [importlib.import_module(name) for name in _THREAD_LIST_HOLDERS]
    return _replaced([(module, "TMP_THREADS", live) for module in holders])


_ORIGINAL_CREATE_LOADER = botocore_session.create_loader


@functools.cache
def create_loader(search_path_string: str | None = None) -> Loader:
    """botocore's `create_loader`, one loader kept per search path (module docstring)."""
    return _ORIGINAL_CREATE_LOADER(search_path_string)


def shared_data_loaders() -> contextlib.AbstractContextManager[None]:
    """Sessions made while the context lasts share one data loader per search path; the loaders are dropped when
    it ends."""
    return _replaced([(botocore_session, "create_loader", create_loader)])
