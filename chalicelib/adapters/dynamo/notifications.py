"""The outbox's items: each message staged with the change that causes it, read by the relay from the
table's stream (docs/data-model.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from chalicelib.adapters.dynamo.table import DynamoTable, Item, from_dynamo, staged
from chalicelib.notifications.ports import OutboxMessage
from chalicelib.shared.transactions import Transaction

OUTBOX_PREFIX = "OUTBOX#"
# Long enough for every retry of a delivery and for a retried task to find its message's key taken.
KEPT_FOR = timedelta(days=7)

_deserializer = TypeDeserializer()


def outbox_item(message: OutboxMessage, now: datetime) -> Item:
    return {
        "pk": f"{OUTBOX_PREFIX}{message.key}",
        "sk": "MESSAGE",
        "entity": "outbox",
        "key": message.key,
        "kind": message.kind,
        "payload": message.payload,
        "correlation_id": message.correlation_id,
        "staged_at": now.isoformat(),
        "expires_at_epoch": int((now + KEPT_FOR).timestamp()),
    }


def message_from_stream_image(image: dict[str, Any]) -> OutboxMessage | None:
    """The message in a stream record's new image, or None for an item that is not one."""
    item = from_dynamo(image)
    if not str(item.get("pk", "")).startswith(OUTBOX_PREFIX):
        return None
    return OutboxMessage(
        key=str(item["key"]),
        kind=str(item["kind"]),
        payload=dict(item["payload"]),
        correlation_id=item.get("correlation_id"),
    )


class DynamoOutbox:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def stage(self, transaction: Transaction, message: OutboxMessage) -> None:
        staged(transaction).put(outbox_item(message, datetime.now(UTC)), "attribute_not_exists(pk)")
