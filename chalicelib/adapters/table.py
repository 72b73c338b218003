"""The single DynamoDB table: every key and item mapping lives here (docs/data-model.md)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chalicelib.domain.model import Catalogue, HistoryEvent, Order, Organisation, Role, Step, User
from chalicelib.domain.signing import Approval, ApprovalStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Item = dict[str, Any]

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

AGENT_STEPS = (Step.AGENT_APPROVAL, Step.AGENT_ATTESTATION)


class ConcurrentChange(Exception):
    """A conditional write lost: someone else changed the item first."""


def _to_dynamo(item: Item) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in item.items() if value is not None}


def _from_dynamo(item: dict[str, Any]) -> Item:
    return {key: _plain(_deserializer.deserialize(value)) for key, value in item.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


_KEY_ATTRIBUTES = {"pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk", "expires_at_epoch", "entity"}


def _strip_keys(item: Item, *also: str) -> Item:
    """The item without its keys and bookkeeping: what the domain model holds."""
    return {k: v for k, v in item.items() if k not in _KEY_ATTRIBUTES and k not in also}


def order_key(order_id: str) -> Item:
    return {"pk": f"ORDER#{order_id}", "sk": "ORDER"}


def approval_item_key(key: str) -> Item:
    return {"pk": f"APPROVAL#{key}", "sk": "APPROVAL"}


def pending_key(user_id: str, order_id: str, step: Step) -> Item:
    return {"pk": f"USER#{user_id}", "sk": f"PENDING#{order_id}#{step.value}"}


def step_key(order_id: str, step: Step) -> Item:
    return {"pk": f"ORDER#{order_id}", "sk": f"STEP#{step.value}"}


def order_item(order: Order, version: int) -> Item:
    item: Item = {
        **order_key(order.order_id),
        "entity": "order",
        "version": version,
        "gsi1pk": f"ORDERER#{order.orderer_id}",
        "gsi1sk": f"{order.created_at.isoformat()}#{order.order_id}",
        "gsi2pk": f"ORG#{order.customer_org_id}#ORDERS",
        "gsi2sk": f"{order.created_at.isoformat()}#{order.order_id}",
        **order.model_dump(mode="json"),
    }
    if order.agent_org_id and order.current_step in AGENT_STEPS:
        # R-ORD-7: sparse index; an order sits in the agent's queue only while it waits for the agent.
        item["gsi3pk"] = f"AGENT#{order.agent_org_id}#QUEUE"
        item["gsi3sk"] = f"{order.updated_at.isoformat()}#{order.order_id}"
    return item


def event_item(order_id: str, event: HistoryEvent) -> Item:
    return {
        "pk": f"ORDER#{order_id}",
        "sk": f"EVENT#{event.at.isoformat()}#{secrets.token_hex(4)}",
        "entity": "event",
        **event.model_dump(mode="json"),
    }


def approval_item(approval: Approval) -> Item:
    return {
        **approval_item_key(approval.key),
        "entity": "approval",
        # Expired approvals are removed by TTL a day after expiry; expiry itself is checked on read.
        "expires_at_epoch": int(approval.expires_at.timestamp()) + 86_400,
        **approval.model_dump(mode="json"),
    }


class Transaction:
    """Writes that succeed or fail together (transact_write_items, at most 100 items)."""

    def __init__(self, table: Table) -> None:
        self._table = table
        self._writes: list[dict[str, Any]] = []

    def put(
        self, item: Item, condition: str | None = None, values: Item | None = None, names: dict[str, str] | None = None
    ) -> Transaction:
        put: dict[str, Any] = {"TableName": self._table.name, "Item": _to_dynamo(item)}
        if condition:
            put["ConditionExpression"] = condition
        if values:
            put["ExpressionAttributeValues"] = _to_dynamo(values)
        if names:
            put["ExpressionAttributeNames"] = names
        self._writes.append({"Put": put})
        return self

    def delete(self, key: Item) -> Transaction:
        self._writes.append({"Delete": {"TableName": self._table.name, "Key": _to_dynamo(key)}})
        return self

    def save_order(self, order: Order, expected_version: int | None) -> Transaction:
        """Optimistic lock: the write fails if anyone saved the order since it was read."""
        if expected_version is None:
            return self.put(order_item(order, 1), "attribute_not_exists(pk)")
        return self.put(order_item(order, expected_version + 1), "version = :expected", {":expected": expected_version})

    def add_events(self, order_id: str, events: Iterable[HistoryEvent | None]) -> Transaction:
        for event in events:
            if event is not None:
                self.put(event_item(order_id, event), "attribute_not_exists(pk)")
        return self

    def save_approval(self, approval: Approval, expected_status: ApprovalStatus | None) -> Transaction:
        if expected_status is None:
            return self.put(approval_item(approval), "attribute_not_exists(pk)")
        return self.put(
            approval_item(approval), "#status = :expected", {":expected": expected_status.value}, {"#status": "status"}
        )

    def commit(self) -> None:
        if not self._writes:
            return
        try:
            self._table.client.transact_write_items(TransactItems=self._writes)  # type: ignore[arg-type]
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise ConcurrentChange(str(error)) from error
            raise


class Table:
    def __init__(self, client: DynamoDBClient, name: str) -> None:
        self.client = client
        self.name = name

    def transaction(self) -> Transaction:
        return Transaction(self)

    # --- generic -------------------------------------------------------------------------------

    def _get(self, key: Item) -> Item | None:
        response = self.client.get_item(TableName=self.name, Key=_to_dynamo(key), ConsistentRead=True)
        return _from_dynamo(response["Item"]) if "Item" in response else None

    def _query(
        self,
        index: str | None,
        pk_name: str,
        pk: str,
        sk_prefix: str | None = None,
        newest_first: bool = False,
        limit: int = 100,
    ) -> list[Item]:
        condition = f"{pk_name} = :pk"
        values: Item = {":pk": pk}
        sk_name = pk_name.replace("pk", "sk")
        if sk_prefix:
            condition += f" AND begins_with({sk_name}, :prefix)"
            values[":prefix"] = sk_prefix
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": _to_dynamo(values),
            "ScanIndexForward": not newest_first,
            "Limit": limit,
        }
        if index:
            kwargs["IndexName"] = index
        return [_from_dynamo(item) for item in self.client.query(**kwargs)["Items"]]

    def put_item(self, item: Item) -> None:
        self.client.put_item(TableName=self.name, Item=_to_dynamo(item))

    # --- catalogue -----------------------------------------------------------------------------

    def get_catalogue(self) -> Catalogue | None:
        item = self._get({"pk": "CATALOGUE", "sk": "CURRENT"})
        return Catalogue.model_validate(_strip_keys(item)) if item else None

    def put_catalogue(self, catalogue: Catalogue) -> bool:
        """Stores `catalogue` unless the same or a newer version is already there."""
        try:
            self.client.put_item(
                TableName=self.name,
                Item=_to_dynamo({"pk": "CATALOGUE", "sk": "CURRENT", **catalogue.model_dump(mode="json")}),
                ConditionExpression="attribute_not_exists(pk) OR version < :version",
                ExpressionAttributeValues={":version": {"N": str(catalogue.version)}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    # --- directory -----------------------------------------------------------------------------

    def get_organisation(self, org_id: str) -> Organisation | None:
        item = self._get({"pk": f"ORG#{org_id}", "sk": "PROFILE"})
        return Organisation.model_validate(_strip_keys(item)) if item else None

    def put_organisation(self, organisation: Organisation) -> None:
        self.put_item(
            {
                "pk": f"ORG#{organisation.org_id}",
                "sk": "PROFILE",
                "entity": "organisation",
                **organisation.model_dump(mode="json"),
            }
        )

    def get_user(self, user_id: str) -> User | None:
        item = self._get({"pk": f"USER#{user_id}", "sk": "PROFILE"})
        return User.model_validate(_strip_keys(item)) if item else None

    def put_user(self, user: User) -> None:
        self.put_item(
            {
                "pk": f"USER#{user.user_id}",
                "sk": "PROFILE",
                "entity": "user",
                "gsi1pk": f"ORG#{user.org_id}#USERS",
                "gsi1sk": f"USER#{user.user_id}",
                **user.model_dump(mode="json"),
            }
        )

    def organisation_users(self, org_id: str | None, role: Role | None = None) -> list[User]:
        """The people of an organisation, or only those with `role` (none for no organisation)."""
        if not org_id:
            return []
        items = self._query("gsi1", "gsi1pk", f"ORG#{org_id}#USERS", limit=1000)
        users = [User.model_validate(_strip_keys(item)) for item in items]
        return [user for user in users if role is None or user.has_role(role)]

    # --- orders --------------------------------------------------------------------------------

    def next_order_number(self) -> int:
        response = self.client.update_item(
            TableName=self.name,
            Key=_to_dynamo({"pk": "COUNTER", "sk": "ORDER_NUMBER"}),
            UpdateExpression="ADD #n :one",
            ExpressionAttributeNames={"#n": "n"},
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["n"]["N"])

    def get_order(self, order_id: str) -> tuple[Order, int] | None:
        item = self._get(order_key(order_id))
        if item is None:
            return None
        return Order.model_validate(_strip_keys(item, "version")), int(item["version"])

    def order_with_history(self, order_id: str) -> tuple[Order, list[HistoryEvent]] | None:
        items = self._query(None, "pk", f"ORDER#{order_id}", limit=1000)
        order = next((item for item in items if item["sk"] == "ORDER"), None)
        if order is None:
            return None
        events = [HistoryEvent.model_validate(_strip_keys(i)) for i in items if i["sk"].startswith("EVENT#")]
        return Order.model_validate(_strip_keys(order, "version")), sorted(events, key=lambda event: event.at)

    def orders_of_orderer(self, user_id: str) -> list[Order]:
        return self._orders("gsi1", "gsi1pk", f"ORDERER#{user_id}")

    def orders_of_organisation(self, org_id: str) -> list[Order]:
        return self._orders("gsi2", "gsi2pk", f"ORG#{org_id}#ORDERS")

    def agent_queue(self, agent_org_id: str) -> list[Order]:
        return self._orders("gsi3", "gsi3pk", f"AGENT#{agent_org_id}#QUEUE")

    def _orders(self, index: str, pk_name: str, pk: str) -> list[Order]:
        items = self._query(index, pk_name, pk, newest_first=True)
        return [Order.model_validate(_strip_keys(item, "version")) for item in items]

    # --- approvals -----------------------------------------------------------------------------

    def get_approval(self, key: str) -> Approval | None:
        item = self._get(approval_item_key(key))
        return Approval.model_validate(_strip_keys(item)) if item else None

    def get_open_step(self, order_id: str, step: Step) -> str | None:
        item = self._get(step_key(order_id, step))
        return str(item["approval_key"]) if item else None

    def record_wrong_code(self, approval: Approval) -> None:
        """Counts a wrong code; conditional so two concurrent guesses both count."""
        assert approval.challenge is not None
        self.client.update_item(
            TableName=self.name,
            Key=_to_dynamo(approval_item_key(approval.key)),
            UpdateExpression="SET challenge.attempts = challenge.attempts + :one",
            ConditionExpression="#status = :open",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=_to_dynamo({":one": 1, ":open": ApprovalStatus.OPEN.value}),
        )

    def mark_delivered(self, approval_key: str) -> None:
        self.client.update_item(
            TableName=self.name,
            Key=_to_dynamo(approval_item_key(approval_key)),
            UpdateExpression="SET delivered = :true",
            ExpressionAttributeValues={":true": {"BOOL": True}},
        )

    def get_task_token(self, approval_key: str) -> str:
        item = self._get({"pk": f"APPROVAL#{approval_key}", "sk": "TOKEN"})
        if item is None:
            raise LookupError("no task token stored for this approval")
        return str(item["task_token"])

    def pending_for(self, user_id: str) -> list[Item]:
        return [_strip_keys(item) for item in self._query(None, "pk", f"USER#{user_id}", "PENDING#")]

    def cases(self) -> list[Item]:
        return [_strip_keys(item) for item in self._query("gsi2", "gsi2pk", "CASES", newest_first=True)]
