"""How an order ends: a case for customer service, a timeout told to those concerned, or operations called
in when the workflow gave up (R-ORD-3, DOMAIN.md Flow 2 step 5). Each change and what it tells are one
transaction, so a retried task changes and tells nothing twice."""

from __future__ import annotations

from typing import Any

from chalicelib.ordering.model import Case, Ending, Order
from chalicelib.ordering.notices import OrderNotices
from chalicelib.ordering.ports import Orders
from chalicelib.ordering.reasons import NO_SUCH_ORDER
from chalicelib.shared.errors import NotFound
from chalicelib.shared.time import Clock
from chalicelib.shared.transactions import ConcurrentChange, Transactions


class EndingService:
    def __init__(self, orders: Orders, notices: OrderNotices, transactions: Transactions, clock: Clock) -> None:
        self._orders = orders
        self._notices = notices
        self._transactions = transactions
        self._clock = clock

    def _order(self, order_id: str) -> tuple[Order, int]:
        found = self._orders.get(order_id)
        if found is None:
            raise NotFound(NO_SUCH_ORDER)
        return found

    def create_case(self, order_id: str) -> dict[str, Any]:
        order, version = self._order(order_id)
        created = order.complete(order.case_number_for(), self._clock())
        if created is not None:
            transaction = self._transactions.begin()
            self._orders.save(transaction, order, version, [created])
            self._orders.add_case(transaction, Case.of(order, created.at))
            self._notices.case_created(transaction, order)
            transaction.commit()
        return {"case_number": order.case_number}

    def close(self, order_id: str, ending: Ending) -> dict[str, Any]:
        """A timed-out order ends here and its people are told why (R-ORD-3). A declined one ended, and its
        people were told, with the decision itself."""
        order, version = self._order(order_id)
        if ending is Ending.TIMED_OUT:
            timed_out = order.time_out(self._clock())
            if timed_out is not None:
                transaction = self._transactions.begin()
                self._orders.save(transaction, order, version, [timed_out])
                self._notices.ended(transaction, order, timed_out)
                transaction.commit()
        return {"status": order.status.value}

    def needs_attention(self, order_id: str, error: dict[str, Any]) -> dict[str, Any]:
        """Operations are told once per order, whether or not the order had already ended."""
        error_name = str(error.get("Error", "unknown"))
        for attempt in range(2):
            order, version = self._order(order_id)
            marked = order.needs_attention(error_name, self._clock())
            transaction = self._transactions.begin()
            if marked is not None:
                self._orders.save(transaction, order, version, [marked])
            self._notices.needs_attention(transaction, order, error_name, str(error.get("Cause", "")))
            try:
                transaction.commit()
                break
            except ConcurrentChange:
                # The order changed meanwhile (read it again), or, on a fresh read, the message's key is taken:
                # an earlier attempt told operations already.
                if attempt:
                    break
        return {"status": order.status.value}
