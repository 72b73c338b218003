"""The requisitioners context's store, in memory."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.requisitioners.model import Orderer, RequisitionerEntry, WaitingOrder
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.transactions import Transaction

from .store import paged, staged


@dataclass
class MemoryOrderers:
    """Implements `Orderers`."""

    orderers: dict[str, Orderer] = field(default_factory=dict)
    held: dict[tuple[str, str], WaitingOrder] = field(default_factory=dict)
    entries: dict[str, RequisitionerEntry] = field(default_factory=dict)

    def get(self, user_id: str) -> Orderer | None:
        found = self.orderers.get(user_id)
        return found.model_copy(deep=True) if found else None

    def add(self, transaction: Transaction, orderer: Orderer) -> None:
        staged(transaction).stage(
            lambda: self.orderers.__setitem__(orderer.user_id, orderer.model_copy(deep=True)),
            check=lambda: orderer.user_id not in self.orderers,
        )

    def approve(self, transaction: Transaction, orderer: Orderer) -> None:
        def unapproved() -> bool:
            stored = self.orderers.get(orderer.user_id)
            return stored is not None and not stored.approved

        staged(transaction).stage(
            lambda: self.orderers.__setitem__(orderer.user_id, orderer.model_copy(deep=True)), check=unapproved
        )

    def remove(self, transaction: Transaction, user_id: str) -> None:
        def remove() -> None:
            self.orderers.pop(user_id, None)

        staged(transaction).stage(remove)

    def of_requisitioner(self, org_id: str, page: PageRequest) -> Page[Orderer]:
        mine = [orderer for orderer in self.orderers.values() if orderer.requisitioner_org_id == org_id]
        return paged(mine, lambda orderer: f"{orderer.created_at.isoformat()}#{orderer.user_id}", page)

    def unapproved_of(self, org_id: str, page: PageRequest) -> Page[Orderer]:
        waiting = [o for o in self.orderers.values() if o.requisitioner_org_id == org_id and not o.approved]
        return paged(waiting, lambda orderer: f"{orderer.created_at.isoformat()}#{orderer.user_id}", page)

    def hold(self, transaction: Transaction, waiting: WaitingOrder, unapproved: bool) -> None:
        def still_unapproved() -> bool:
            stored = self.orderers.get(waiting.orderer_id)
            return not unapproved or (stored is not None and not stored.approved)

        staged(transaction).stage(
            lambda: self.held.__setitem__((waiting.orderer_id, waiting.order_id), waiting.model_copy(deep=True)),
            check=still_unapproved,
        )

    def waiting(self, orderer_id: str) -> list[WaitingOrder]:
        return [held.model_copy(deep=True) for (owner, _), held in sorted(self.held.items()) if owner == orderer_id]

    def release(self, transaction: Transaction, waiting: WaitingOrder) -> None:
        key = (waiting.orderer_id, waiting.order_id)

        def unreleased() -> bool:
            stored = self.held.get(key)
            return stored is not None and stored.released_at is None

        staged(transaction).stage(lambda: self.held.__setitem__(key, waiting.model_copy(deep=True)), check=unreleased)

    def forget(self, waiting: WaitingOrder) -> None:
        self.held.pop((waiting.orderer_id, waiting.order_id), None)

    def requisitioners(self) -> list[RequisitionerEntry]:
        return list(self.entries.values())

    def add_requisitioner(self, entry: RequisitionerEntry) -> None:
        self.entries[entry.org_id] = entry
