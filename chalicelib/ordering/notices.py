"""Who is told what about an order, staged in the transaction of the change that causes it (R-ORD-3, Flow 2
step 5)."""

from __future__ import annotations

from typing import Any

from chalicelib.directory.ports import Directory
from chalicelib.notifications.ports import Notification, Notifier, Recipient
from chalicelib.ordering.model import HistoryEvent, Order
from chalicelib.shared.identity import Person, Role
from chalicelib.shared.transactions import Transaction

# What the mail templates show of an order (templates/mail): its outbox message carries this much and no more, so
# each of an order's messages stays a small item rather than a copy of the order with its catalogue texts.
MAIL_FIELDS: dict[str, Any] = {
    "order_id": True,
    "number": True,
    "status": True,
    "customer_name": True,
    "agent_name": True,
    "source_system": True,
    "outcome_reason": True,
    "offering": {"name", "service_name"},
    "care_units": {"__all__": {"name", "hsa_id"}},
    "price": {"total"},
}


def mail_view(order: Order) -> dict[str, Any]:
    """The order as a mail about it shows it."""
    return order.model_dump(mode="json", include=MAIL_FIELDS)


def recipients(people: list[Person]) -> tuple[Recipient, ...]:
    return tuple(Recipient(person.email, person.name, person.language.value) for person in people)


class OrderNotices:
    def __init__(
        self,
        directory: Directory,
        notifier: Notifier,
        base_url: str,
        customer_service_email: str,
        operations_email: str,
    ) -> None:
        self._directory = directory
        self._notifier = notifier
        self._base_url = base_url
        self._customer_service_email = customer_service_email
        self._operations_email = operations_email

    def _orderer(self, order: Order) -> list[Person]:
        orderer = self._directory.person(order.orderer_id)
        return [orderer] if orderer else []

    def agent_handlers(self, order: Order) -> list[Person]:
        return self._directory.people(order.agent_org_id, Role.AGENT_CASE_HANDLER)

    def link(self, order: Order) -> str:
        return f"{self._base_url}/orders/{order.order_id}"

    def ended(self, transaction: Transaction, order: Order, event: HistoryEvent) -> None:
        """R-ORD-3: the orderer, and the agent where it took part, hear why the order ended."""
        people = self._orderer(order) + (self.agent_handlers(order) if order.agent_took_part else [])
        self._notifier.notify(
            transaction,
            Notification(
                key=f"order:{order.order_id}:ended",
                correlation_id=order.order_id,
                template="order_ended",
                recipients=recipients(people),
                context={
                    "order": mail_view(order),
                    "event": event.model_dump(mode="json"),
                    "link": self.link(order),
                },
            ),
        )

    def case_created(self, transaction: Transaction, order: Order) -> None:
        context = {"order": mail_view(order), "case_number": order.case_number, "link": self.link(order)}
        key = f"order:{order.order_id}:case"
        if order.agent_took_part:
            # Seed 002 step 5: the provider tells the agent to start the technical connection.
            agent = recipients(self.agent_handlers(order))
            self._notifier.notify(
                transaction, Notification(f"{key}:agent", "case_created_agent", agent, context, order.order_id)
            )
        else:
            service = (Recipient(self._customer_service_email),)
            self._notifier.notify(
                transaction,
                Notification(
                    f"{key}:customer-service", "case_created_customer_service", service, context, order.order_id
                ),
            )
        orderer = recipients(self._orderer(order))
        self._notifier.notify(
            transaction, Notification(f"{key}:orderer", "order_completed", orderer, context, order.order_id)
        )

    def needs_attention(self, transaction: Transaction, order: Order, error_name: str, cause: str) -> None:
        self._notifier.notify(
            transaction,
            Notification(
                key=f"order:{order.order_id}:attention",
                correlation_id=order.order_id,
                template="needs_attention",
                recipients=(Recipient(self._operations_email),),
                context={"order": mail_view(order), "error_name": error_name, "cause": cause[:1000]},
            ),
        )
