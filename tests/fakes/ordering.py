from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.ordering.model import Case, Catalogue, HistoryEvent, Order, OrderStatus
from chalicelib.ordering.ports import SubmitReading
from chalicelib.requisitioners.model import awaits_approval
from chalicelib.shared.identity import Person
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.transactions import Transaction

from .directory import MemoryDirectory
from .requisitioners import MemoryOrderers
from .store import MemoryStore, paged, staged


def _inverted(text: str) -> str:
    return "".join(chr(0x10FFFF - ord(character)) for character in text)


def _case_created(case: Case) -> str:
    return f"{case.created_at.isoformat()}#{case.order_id}"


def _created(order: Order) -> str:
    return f"{order.created_at.isoformat()}#{order.order_id}"


@dataclass
class MemoryOrders:
    store: MemoryStore
    orders: dict[str, tuple[Order, int]] = field(default_factory=dict)
    history: dict[str, list[HistoryEvent]] = field(default_factory=dict)
    cases_by_order: dict[str, Case] = field(default_factory=dict)

    def get(self, order_id: str) -> tuple[Order, int] | None:
        found = self.orders.get(order_id)
        return (found[0].model_copy(deep=True), found[1]) if found else None

    def with_history(self, order_id: str) -> tuple[Order, list[HistoryEvent]] | None:
        found = self.get(order_id)
        if found is None:
            return None
        events = sorted(self.history.get(order_id, []), key=lambda event: event.at)
        return found[0], [event.model_copy(deep=True) for event in events]

    def _write(self, order: Order, version: int, events: list[HistoryEvent | None]) -> None:
        self.orders[order.order_id] = (order.model_copy(deep=True), version)
        self.history.setdefault(order.order_id, []).extend(event for event in events if event is not None)

    def add(self, transaction: Transaction, order: Order, events: list[HistoryEvent]) -> None:
        order, events = order.model_copy(deep=True), list(events)
        staged(transaction).stage(
            lambda: self._write(order, 1, list(events)), check=lambda: order.order_id not in self.orders
        )

    def save(self, transaction: Transaction, order: Order, version: int, events: list[HistoryEvent | None]) -> None:
        order, events = order.model_copy(deep=True), list(events)

        def unchanged() -> bool:
            stored = self.orders.get(order.order_id)
            return stored is not None and stored[1] == version

        staged(transaction).stage(lambda: self._write(order, version + 1, events), check=unchanged)

    def add_case(self, transaction: Transaction, case: Case) -> None:
        case = case.model_copy(deep=True)
        staged(transaction).stage(
            lambda: self.cases_by_order.__setitem__(case.order_id, case),
            check=lambda: case.order_id not in self.cases_by_order,
        )

    def _all(self) -> list[Order]:
        return [order.model_copy(deep=True) for order, _ in self.orders.values()]

    def of_orderer(self, user_id: str, page: PageRequest) -> Page[Order]:
        return paged([o for o in self._all() if o.orderer_id == user_id], _created, page)

    def count_of_orderer(self, user_id: str) -> int:
        return len([o for o in self._all() if o.orderer_id == user_id])

    def of_organisation(self, org_id: str, page: PageRequest) -> Page[Order]:
        return paged([o for o in self._all() if o.customer_org_id == org_id], _created, page)

    def waiting_for_agent(self, agent_org_id: str, page: PageRequest) -> Page[Order]:
        waiting = [o for o in self._all() if o.waits_for_agent and o.agent_org_id == agent_org_id]
        return paged(waiting, lambda order: f"{order.updated_at.isoformat()}#{order.order_id}", page)

    def with_status(
        self, status: OrderStatus, page: PageRequest, changed_before: datetime | None = None
    ) -> Page[Order]:
        found = [o for o in self._all() if o.status is status and (not changed_before or o.updated_at < changed_before)]
        # Oldest first, as the index: paged() orders by descending position, so the position is inverted.
        return paged(found, lambda o: _inverted(f"{o.updated_at.isoformat()}#{o.order_id}"), page)

    def cases(self, page: PageRequest) -> Page[Case]:
        return paged(list(self.cases_by_order.values()), _case_created, page)

    def case_of_order(self, order_number: str) -> Case | None:
        found = [case for case in self.cases_by_order.values() if case.order_number == order_number]
        return found[0].model_copy(deep=True) if found else None

    def cases_of_organisation(self, org_id: str, page: PageRequest) -> Page[Case]:
        found = [case.model_copy(deep=True) for case in self.cases_by_order.values() if case.customer_org_id == org_id]
        return paged(found, _case_created, page)


@dataclass
class MemoryCatalogues:
    stored: Catalogue | None = None

    def current(self) -> Catalogue | None:
        return self.stored.model_copy(deep=True) if self.stored else None

    def replace(self, catalogue: Catalogue) -> bool:
        if self.stored is not None and self.stored.version >= catalogue.version:
            return False
        self.stored = catalogue.model_copy(deep=True)
        return True


@dataclass
class MemoryOrderNumbers:
    last: int = 0

    def reserve(self, transaction: Transaction, last: int) -> int:
        def take() -> None:
            self.last = last + 1

        staged(transaction).stage(take, check=lambda: self.last == last)
        return last + 1


@dataclass
class MemorySubmitReads:
    """Implements `SubmitReads` over the other fakes, as the one BatchGetItem reads their items."""

    orders: MemoryOrders
    catalogues: MemoryCatalogues
    numbers: MemoryOrderNumbers
    directory: MemoryDirectory
    orderers: MemoryOrderers
    reads: int = 0  # how many times a submit read

    def for_submit(self, order_id: str, orderer: Person, attester_id: str, agent_org_id: str | None) -> SubmitReading:
        self.reads += 1
        placed = self.orders.get(order_id)
        return SubmitReading(
            placed=placed[0] if placed else None,
            customer=self.directory.organisation(orderer.org_id),
            attester=self.directory.person(attester_id),
            agent_organisation=self.directory.organisation(agent_org_id) if agent_org_id else None,
            catalogue=self.catalogues.current(),
            last_number=self.numbers.last,
            awaits_orderer_approval=awaits_approval(self.orderers.get(orderer.user_id)),
        )
