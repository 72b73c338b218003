"""What an order's history says while it waits for its orderer's approval before its case (R-REQ-3)."""

from __future__ import annotations

from datetime import datetime

from chalicelib.ordering.ports import Orders
from chalicelib.shared.identity import Person
from chalicelib.shared.transactions import Transaction


class OrdererWaits:
    """Held by the requisitioners context (its `HeldOrders` port): the order itself stays in ordering."""

    def __init__(self, orders: Orders) -> None:
        self._orders = orders

    def waiting(self, transaction: Transaction, order_id: str, now: datetime) -> None:
        found = self._orders.get(order_id)
        if found is None:
            return
        order, version = found
        self._orders.save(transaction, order, version, [order.awaits_orderer_approval(now)])

    def released(self, transaction: Transaction, order_id: str, approver: Person, now: datetime) -> None:
        found = self._orders.get(order_id)
        if found is None or found[0].status.is_final:
            return
        order, version = found
        self._orders.save(transaction, order, version, [order.orderer_approved(approver, now)])
