"""The tables' key schema, indexes and TTL attribute, written once: infra deploys them, the local product
and the tests create them, the adapters build keys for them (docs/data-model.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: str
    sort_key: str


@dataclass(frozen=True)
class TableSchema:
    partition_key: str
    sort_key: str | None
    indexes: tuple[Index, ...]
    ttl_attribute: str
    stream_view: str | None = None  # the change stream the outbox relay reads, if any

    @property
    def key_attributes(self) -> tuple[str, ...]:
        keys = [self.partition_key, *([self.sort_key] if self.sort_key else [])]
        for index in self.indexes:
            keys += [index.partition_key, index.sort_key]
        return tuple(keys)

    def create_table_arguments(self, table_name: str) -> dict[str, Any]:
        """`CreateTable` parameters (on-demand, every key a string), as the local product creates it."""
        arguments: dict[str, Any] = {
            "TableName": table_name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": name, "AttributeType": "S"} for name in self.key_attributes],
            "KeySchema": [
                {"AttributeName": self.partition_key, "KeyType": "HASH"},
                *([{"AttributeName": self.sort_key, "KeyType": "RANGE"}] if self.sort_key else []),
            ],
        }
        if self.stream_view:
            arguments["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": self.stream_view}
        if self.indexes:
            arguments["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": index.name,
                    "KeySchema": [
                        {"AttributeName": index.partition_key, "KeyType": "HASH"},
                        {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
                for index in self.indexes
            ]
        return arguments


def _index(number: int) -> Index:
    return Index(f"gsi{number}", f"gsi{number}pk", f"gsi{number}sk")


GSI1, GSI2, GSI3, GSI4 = _index(1), _index(2), _index(3), _index(4)

APPLICATION_TABLE = TableSchema(
    partition_key="pk",
    sort_key="sk",
    indexes=(GSI1, GSI2, GSI3, GSI4),
    ttl_attribute="expires_at_epoch",
    stream_view="NEW_IMAGE",
)

# Powertools' idempotency records: its DynamoDBPersistenceLayer's default key and expiry attributes.
IDEMPOTENCY_TABLE = TableSchema(partition_key="id", sort_key=None, indexes=(), ttl_attribute="expiration")
