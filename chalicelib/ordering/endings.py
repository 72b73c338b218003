"""How an order ends: a case for customer service, a decline or timeout told to those concerned, or
operations called in when the workflow gave up (R-ORD-3, DOMAIN.md Flow 2 step 5)."""

from __future__ import annotations

from typing import Any

from chalicelib.directory.ports import Directory
from chalicelib.notifications.ports import Notification, Notifier, Recipient
from chalicelib.ordering.model import DECLINES, Case, Ending, HistoryEvent, Order
from chalicelib.ordering.ports import Orders
from chalicelib.ordering.reasons import NO_SUCH_ORDER
from chalicelib.shared.errors import NotFound
from chalicelib.shared.identity import Person, Role
from chalicelib.shared.time import Clock
from chalicelib.shared.transactions import Transactions


def _recipients(people: list[Person]) -> tuple[Recipient, ...]:
    return tuple(Recipient(person.email, person.name) for person in people)


class EndingService:
    def __init__(
        self,
        orders: Orders,
        directory: Directory,
        notifier: Notifier,
        transactions: Transactions,
        clock: Clock,
        base_url: str,
        customer_service_email: str,
        operations_email: str,
    ) -> None:
        self._orders = orders
        self._directory = directory
        self._notifier = notifier
        self._transactions = transactions
        self._clock = clock
        self._base_url = base_url
        self._customer_service_email = customer_service_email
        self._operations_email = operations_email

    def _order(self, order_id: str) -> tuple[Order, int]:
        found = self._orders.get(order_id)
        if found is None:
            raise NotFound(NO_SUCH_ORDER)
        return found

    def _orderer(self, order: Order) -> list[Person]:
        orderer = self._directory.person(order.orderer_id)
        return [orderer] if orderer else []

    def _agent_handlers(self, order: Order) -> list[Person]:
        return self._directory.people(order.agent_org_id, Role.AGENT_CASE_HANDLER)

    def _link(self, order: Order) -> str:
        return f"{self._base_url}/orders/{order.order_id}"

    def _save(self, order: Order, version: int, event: HistoryEvent | None) -> None:
        if event is not None:
            transaction = self._transactions.begin()
            self._orders.save(transaction, order, version, [event])
            transaction.commit()

    def create_case(self, order_id: str) -> dict[str, Any]:
        order, version = self._order(order_id)
        created = order.complete(order.case_number_for(), self._clock())
        if created is not None:
            transaction = self._transactions.begin()
            self._orders.save(transaction, order, version, [created])
            self._orders.add_case(transaction, Case.of(order, created.at))
            transaction.commit()
            context = {
                "order": order.model_dump(mode="json"),
                "case_number": order.case_number,
                "link": self._link(order),
            }
            if order.agent_took_part:
                # Seed 002 step 5: the provider tells the agent to start the technical connection.
                self._notifier.notify(
                    Notification("case_created_agent", _recipients(self._agent_handlers(order)), context)
                )
            else:
                self._notifier.notify(
                    Notification("case_created_customer_service", (Recipient(self._customer_service_email),), context)
                )
            self._notifier.notify(Notification("order_completed", _recipients(self._orderer(order)), context))
        return {"case_number": order.case_number}

    def close(self, order_id: str, ending: Ending) -> dict[str, Any]:
        """A declined or timed-out order: R-ORD-3 says the orderer, and the agent where it took part, hear why."""
        order, version = self._order(order_id)
        if ending is Ending.TIMED_OUT:
            self._save(order, version, order.time_out(self._clock()))
        people = self._orderer(order)
        if order.agent_took_part:
            people += self._agent_handlers(order)
        found = self._orders.with_history(order_id)
        history = found[1] if found else []
        last_decline = next((event for event in reversed(history) if event.action in DECLINES), None)
        self._notifier.notify(
            Notification(
                "order_ended",
                _recipients(people),
                {
                    "order": order.model_dump(mode="json"),
                    "event": last_decline.model_dump(mode="json") if last_decline else None,
                    "link": self._link(order),
                },
            )
        )
        return {"status": order.status.value}

    def needs_attention(self, order_id: str, error: dict[str, Any]) -> dict[str, Any]:
        order, version = self._order(order_id)
        error_name = str(error.get("Error", "unknown"))
        self._save(order, version, order.needs_attention(error_name, self._clock()))
        self._notifier.notify(
            Notification(
                "needs_attention",
                (Recipient(self._operations_email),),
                {
                    "order": order.model_dump(mode="json"),
                    "error_name": error_name,
                    "cause": str(error.get("Cause", ""))[:1000],
                },
            )
        )
        return {"status": order.status.value}
