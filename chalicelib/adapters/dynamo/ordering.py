"""Ordering's items: the catalogue, orders with their history and case, and the order number counter."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from chalicelib.adapters.dynamo.directory import organisation_key, person_key
from chalicelib.adapters.dynamo.requisitioners import orderer_key
from chalicelib.adapters.dynamo.schema import GSI1, GSI2, GSI3, GSI4, Index
from chalicelib.adapters.dynamo.table import DynamoTable, Item, staged, without_bookkeeping
from chalicelib.directory.ports import Organisation
from chalicelib.ordering.model import Case, Catalogue, HistoryEvent, Order, OrderStatus
from chalicelib.ordering.ports import SubmitReading
from chalicelib.requisitioners.model import Orderer, awaits_approval
from chalicelib.shared.identity import Person
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.transactions import ConcurrentChange, Transaction

CATALOGUE_KEY = {"pk": "CATALOGUE", "sk": "CURRENT"}
# The version of the catalogue under CURRENT, written with it: a container that holds the catalogue reads this
# small item to know whether its copy is still the current one (docs/decisions.md 2026-12-02).
CATALOGUE_VERSION_KEY = {"pk": "CATALOGUE", "sk": "VERSION"}
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
    """The catalogue, kept by this instance (one per container) with its version: once it holds a catalogue it
    reads only the version item, and the catalogue again when a higher version was loaded."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table
        self._held: Catalogue | None = None

    def current(self) -> Catalogue | None:
        return self.from_read(self._table.get(self.key_to_read()))

    def key_to_read(self) -> Item:
        """What to read for the current catalogue, alone or with other items: the catalogue itself until one is
        held, its version after that."""
        return CATALOGUE_VERSION_KEY if self._held is not None else CATALOGUE_KEY

    def from_read(self, item: Item | None) -> Catalogue | None:
        """The current catalogue, given what was read under `key_to_read()`."""
        held = self._held
        if held is None:
            return self._hold(item)
        if item is None or int(item["version"]) > held.version:
            # A newer catalogue, or a table loaded before its version was kept beside it: read the catalogue.
            return self._hold(self._table.get(CATALOGUE_KEY))
        return held.model_copy(deep=True)

    def _hold(self, item: Item | None) -> Catalogue | None:
        self._held = Catalogue.model_validate(without_bookkeeping(item)) if item else None
        return self._held.model_copy(deep=True) if self._held else None

    def replace(self, catalogue: Catalogue) -> bool:
        newer = "attribute_not_exists(pk) OR version < :version"
        values = {":version": catalogue.version}
        try:
            self._table.begin().put(
                {**CATALOGUE_KEY, "entity": "catalogue", **catalogue.model_dump(mode="json")}, newer, values
            ).put(
                {**CATALOGUE_VERSION_KEY, "entity": "catalogue_version", "version": catalogue.version}, newer, values
            ).commit()
        except ConcurrentChange:
            # The same or a newer version is stored; a table loaded before versions were kept gets its version.
            stored = self._table.get(CATALOGUE_KEY)
            if stored is not None:
                self._table.put(
                    {**CATALOGUE_VERSION_KEY, "entity": "catalogue_version", "version": stored["version"]},
                    newer,
                    {":version": stored["version"]},
                )
            return False
        self._held = None
        return True


class DynamoOrderNumbers:
    """The order number counter; `SubmitReads` reads it with the submit's other items."""

    def reserve(self, transaction: Transaction, last: int) -> int:
        # The whole item is its key and the number, so a put of the next number, on the condition that the item
        # still holds the one read, writes what an update would.
        if last:
            staged(transaction).put({**COUNTER_KEY, "n": last + 1}, "n = :current", {":current": last})
        else:
            staged(transaction).put({**COUNTER_KEY, "n": 1}, "attribute_not_exists(pk)")
        return last + 1


class DynamoSubmitReads:
    """Everything a submit reads, in one BatchGetItem: keys of three contexts' items, built here."""

    def __init__(self, table: DynamoTable, catalogues: DynamoCatalogues) -> None:
        self._table = table
        self._catalogues = catalogues

    def for_submit(self, order_id: str, orderer: Person, attester_id: str, agent_org_id: str | None) -> SubmitReading:
        keys = {
            "placed": order_key(order_id),
            "customer": organisation_key(orderer.org_id),
            "attester": person_key(attester_id),
            "standing": orderer_key(orderer.user_id),
            "counter": COUNTER_KEY,
            "catalogue": self._catalogues.key_to_read(),
            **({"agent": organisation_key(agent_org_id)} if agent_org_id else {}),
        }
        read = dict(zip(keys, self._table.get_many(list(keys.values())), strict=True))
        placed, attester, standing, counter = read["placed"], read["attester"], read["standing"], read["counter"]
        return SubmitReading(
            placed=_order(placed) if placed else None,
            customer=_organisation(read["customer"]),
            attester=Person.model_validate(without_bookkeeping(attester)) if attester else None,
            agent_organisation=_organisation(read.get("agent")),
            catalogue=self._catalogues.from_read(read["catalogue"]),
            last_number=int(counter["n"]) if counter else 0,
            awaits_orderer_approval=awaits_approval(  # R-REQ-3
                Orderer.model_validate(without_bookkeeping(standing)) if standing else None
            ),
        )


def _organisation(item: Item | None) -> Organisation | None:
    return Organisation.model_validate(without_bookkeeping(item)) if item else None
