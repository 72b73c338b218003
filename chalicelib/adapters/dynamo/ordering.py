"""Ordering's items: the catalogue, orders with their history and case, and the order number counter."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from chalicelib.adapters.dynamo.schema import GSI1, GSI2, GSI3, GSI4, Index
from chalicelib.adapters.dynamo.table import DynamoTable, Item, staged, without_bookkeeping
from chalicelib.ordering.model import Case, Catalogue, HistoryEvent, Order, OrderStatus
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.transactions import Transaction

CATALOGUE_KEY = {"pk": "CATALOGUE", "sk": "CURRENT"}
COUNTER_KEY = {"pk": "COUNTER", "sk": "ORDER_NUMBER"}
CASES = "CASES"
OPEN_STATUSES = (OrderStatus.IN_PROGRESS, OrderStatus.NEEDS_ATTENTION)


def order_key(order_id: str) -> Item:
    return {"pk": f"ORDER#{order_id}", "sk": "ORDER"}


def order_item(order: Order, version: int) -> Item:
    item: Item = {
        **order_key(order.order_id),
        "entity": "order",
        "version": version,
        GSI1.partition_key: f"ORDERER#{order.orderer_id}",
        GSI1.sort_key: f"{order.created_at.isoformat()}#{order.order_id}",
        GSI2.partition_key: f"ORG#{order.customer_org_id}#ORDERS",
        GSI2.sort_key: f"{order.created_at.isoformat()}#{order.order_id}",
        **order.model_dump(mode="json"),
    }
    if order.status in OPEN_STATUSES:
        # Sparse: only orders still open are listed, the longest unchanged first, for operations to reconcile.
        item[GSI4.partition_key] = f"ORDERS#{order.status.value}"
        item[GSI4.sort_key] = f"{order.updated_at.isoformat()}#{order.order_id}"
    if order.waits_for_agent:
        # R-ORD-7: sparse index; an order sits in the agent's queue only while it waits for the agent.
        item[GSI3.partition_key] = f"AGENT#{order.agent_org_id}#QUEUE"
        item[GSI3.sort_key] = f"{order.updated_at.isoformat()}#{order.order_id}"
    return item


def event_item(order_id: str, event: HistoryEvent) -> Item:
    return {
        "pk": f"ORDER#{order_id}",
        "sk": f"EVENT#{event.at.isoformat()}#{secrets.token_hex(4)}",
        "entity": "event",
        **event.model_dump(mode="json"),
    }


def case_item(case: Case) -> Item:
    created = f"{case.created_at.isoformat()}#{case.order_id}"
    return {
        "pk": f"ORDER#{case.order_id}",
        "sk": "CASE",
        "entity": "case",
        GSI2.partition_key: CASES,
        GSI2.sort_key: created,
        # Customer service finds cases by the customer organisation, and by the order's number.
        GSI1.partition_key: f"ORG#{case.customer_org_id}#CASES",
        GSI1.sort_key: created,
        GSI3.partition_key: case_number_partition(case.order_number),
        GSI3.sort_key: "CASE",
        **case.model_dump(mode="json"),
    }


def case_number_partition(order_number: str) -> str:
    return f"ORDERNUMBER#{order_number}"


def _case(item: Item) -> Case:
    return Case.model_validate(without_bookkeeping(item))


def _order(item: Item) -> Order:
    return Order.model_validate(without_bookkeeping(item, "version"))


class DynamoOrders:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def get(self, order_id: str) -> tuple[Order, int] | None:
        item = self._table.get(order_key(order_id))
        return (_order(item), int(item["version"])) if item else None

    def with_history(self, order_id: str) -> tuple[Order, list[HistoryEvent]] | None:
        items = self._table.query_all(f"ORDER#{order_id}")
        order = next((item for item in items if item["sk"] == "ORDER"), None)
        if order is None:
            return None
        events = [HistoryEvent.model_validate(without_bookkeeping(i)) for i in items if i["sk"].startswith("EVENT#")]
        return _order(order), sorted(events, key=lambda event: event.at)

    def _add_events(self, transaction: Transaction, order_id: str, events: list[HistoryEvent | None]) -> None:
        for event in events:
            if event is not None:
                staged(transaction).put(event_item(order_id, event), "attribute_not_exists(pk)")

    def add(self, transaction: Transaction, order: Order, events: list[HistoryEvent]) -> None:
        staged(transaction).put(order_item(order, 1), "attribute_not_exists(pk)")
        self._add_events(transaction, order.order_id, list(events))

    def save(self, transaction: Transaction, order: Order, version: int, events: list[HistoryEvent | None]) -> None:
        # Optimistic lock: the write fails if anyone saved the order since it was read.
        staged(transaction).put(order_item(order, version + 1), "version = :expected", {":expected": version})
        self._add_events(transaction, order.order_id, events)

    def add_case(self, transaction: Transaction, case: Case) -> None:
        staged(transaction).put(case_item(case), "attribute_not_exists(pk)")

    def _orders(self, partition: str, index: Index, page: PageRequest) -> Page[Order]:
        return self._table.query(partition, index=index, newest_first=True, page=page).map(_order)

    def of_orderer(self, user_id: str, page: PageRequest) -> Page[Order]:
        return self._orders(f"ORDERER#{user_id}", GSI1, page)

    def count_of_orderer(self, user_id: str) -> int:
        return self._table.count(f"ORDERER#{user_id}", index=GSI1)

    def of_organisation(self, org_id: str, page: PageRequest) -> Page[Order]:
        return self._orders(f"ORG#{org_id}#ORDERS", GSI2, page)

    def waiting_for_agent(self, agent_org_id: str, page: PageRequest) -> Page[Order]:
        return self._orders(f"AGENT#{agent_org_id}#QUEUE", GSI3, page)

    def with_status(
        self, status: OrderStatus, page: PageRequest, changed_before: datetime | None = None
    ) -> Page[Order]:
        if status not in OPEN_STATUSES:
            raise ValueError(f"only open orders are listed by status, not {status.value}")
        # The sort key starts with when the order last changed, so "before" is a key condition, not a filter.
        below = changed_before.astimezone(UTC).isoformat() if changed_before else None
        return self._table.query(f"ORDERS#{status.value}", index=GSI4, sort_below=below, page=page).map(_order)

    def cases(self, page: PageRequest) -> Page[Case]:
        return self._table.query(CASES, index=GSI2, newest_first=True, page=page).map(_case)

    def case_of_order(self, order_number: str) -> Case | None:
        found = self._table.query(case_number_partition(order_number), index=GSI3, page=PageRequest(limit=1))
        return _case(found.items[0]) if found.items else None

    def cases_of_organisation(self, org_id: str, page: PageRequest) -> Page[Case]:
        return self._table.query(f"ORG#{org_id}#CASES", index=GSI1, newest_first=True, page=page).map(_case)


class DynamoCatalogues:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def current(self) -> Catalogue | None:
        item = self._table.get(CATALOGUE_KEY)
        return Catalogue.model_validate(without_bookkeeping(item)) if item else None

    def replace(self, catalogue: Catalogue) -> bool:
        return self._table.put(
            {**CATALOGUE_KEY, **catalogue.model_dump(mode="json")},
            "attribute_not_exists(pk) OR version < :version",
            {":version": catalogue.version},
        )


class DynamoOrderNumbers:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def reserve(self, transaction: Transaction) -> int:
        counter = self._table.get(COUNTER_KEY)
        current = int(counter["n"]) if counter else 0
        condition = "n = :current" if counter else "attribute_not_exists(pk)"
        values = {":next": current + 1, **({":current": current} if counter else {})}
        staged(transaction).update(COUNTER_KEY, "SET n = :next", condition, values)
        return current + 1
