"""What the requisitioners context needs: its own store, the accounts it opens through the directory, the
history of the orders it holds, and the workflow waiting on them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from chalicelib.requisitioners.model import Orderer, RequisitionerEntry, WaitingOrder
from chalicelib.shared.identity import Person
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.transactions import Transaction


class Orderers(Protocol):
    def get(self, user_id: str) -> Orderer | None: ...

    def add(self, transaction: Transaction, orderer: Orderer) -> None:
        """Stages a new orderer, refused at commit if it exists."""

    def approve(self, transaction: Transaction, orderer: Orderer) -> None:
        """Stages the orderer approved, on the condition that it was not approved meanwhile."""

    def remove(self, transaction: Transaction, user_id: str) -> None: ...

    def of_requisitioner(self, org_id: str, page: PageRequest) -> Page[Orderer]:
        """Newest first."""

    def unapproved_of(self, org_id: str, page: PageRequest) -> Page[Orderer]:
        """Only those waiting for the requisitioner's approval (R-REQ-3), newest first."""

    def hold(self, transaction: Transaction, waiting: WaitingOrder, unapproved: bool) -> None:
        """Stages the order as waiting; with `unapproved`, on the condition that its orderer is still not
        approved (so that an approval made meanwhile is not missed)."""

    def waiting(self, orderer_id: str) -> list[WaitingOrder]:
        """Every order that waits for this orderer's approval, read after every write before it."""

    def release(self, transaction: Transaction, waiting: WaitingOrder) -> None:
        """Stages `released_at`, on the condition that it was not released meanwhile."""

    def forget(self, waiting: WaitingOrder) -> None:
        """The workflow was told: the order waits no longer."""

    def requisitioners(self) -> list[RequisitionerEntry]: ...

    def add_requisitioner(self, entry: RequisitionerEntry) -> None: ...


class AccountOpening(Protocol):
    """The directory's AccountService: the person's account, and an e-mailed link to choose its password."""

    def open_account(self, person: Person, about: Mapping[str, str], template: str = "invitation") -> None: ...

    def invite(
        self,
        transaction: Transaction,
        person: Person,
        about: Mapping[str, str],
        template: str = "invitation",
        seed: str | None = None,
    ) -> None: ...


class HeldOrders(Protocol):
    """The orders' side of holding one (ordering's `OrdererWaits`): what its history says."""

    def waiting(self, transaction: Transaction, order_id: str, now: datetime) -> None:
        """Stages "waits for the requisitioner to approve the orderer" in the order's history."""

    def released(self, transaction: Transaction, order_id: str, approver: Person, now: datetime) -> None:
        """Stages "orderer approved, by `approver`" in the order's history (nothing once the order ended)."""
