"""Operations resume an order the workflow handed to them, once what failed is fixed (a broken release): the
order is in progress again and a new execution of the current definition enters at the step the order stood
at (`make redrive`, docs/deploy.md "Resuming orders after a broken release")."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.notifications.ports import Outbox, OutboxMessage
from chalicelib.ordering.executions import execution_name
from chalicelib.ordering.model import Order
from chalicelib.ordering.ports import Orders
from chalicelib.ordering.services import START_WORKFLOW, workflow_input
from chalicelib.shared.time import Clock
from chalicelib.shared.transactions import ConcurrentChange, Transactions


@dataclass(frozen=True)
class Resumed:
    """The order as it stands after the resume, and whether this call resumed it."""

    order: Order
    resumed: bool


class Resumption:
    def __init__(self, orders: Orders, outbox: Outbox, transactions: Transactions, clock: Clock) -> None:
        self._orders = orders
        self._outbox = outbox
        self._transactions = transactions
        self._clock = clock

    def order(self, order_id: str) -> Order | None:
        found = self._orders.get(order_id)
        return found[0] if found else None

    def resume(self, order_id: str, decision_timeout_seconds: int, operator: str | None = None) -> Resumed | None:
        """The order, its history entry and the start of its new execution are one write, as a submit's are: a
        crash leaves the order needing attention, or resumed with its start on the way (the outbox, and the
        reconciliation after it). A repeated or concurrent resume finds the order in progress and does nothing.
        None if there is no such order."""
        for _ in range(3):
            stored = self._orders.get(order_id)
            read = self._orders.with_history(order_id)
            if stored is None or read is None:
                return None
            order, version = stored
            resumed = order.resume(read[1], self._clock(), operator)
            if resumed is None:
                return Resumed(order, resumed=False)
            transaction = self._transactions.begin()
            self._orders.save(transaction, order, version, [resumed])
            self._outbox.stage(
                transaction,
                OutboxMessage(
                    key=f"order:{order.order_id}:start:{order.resumptions}",
                    kind=START_WORKFLOW,
                    payload={"name": execution_name(order), "input": workflow_input(order, decision_timeout_seconds)},
                    correlation_id=order.order_id,
                ),
            )
            try:
                transaction.commit()
            except ConcurrentChange:
                continue  # resumed (or changed) meanwhile: look again
            return Resumed(order, resumed=True)
        raise ConcurrentChange(f"order {order_id} kept changing")
