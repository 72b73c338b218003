"""How an order ends: a case for customer service, a decline or timeout told to those concerned, or
operations called in when the workflow gave up (R-ORD-3, DOMAIN.md Flow 2 step 5)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.adapters.mail import Mailer
from chalicelib.adapters.table import Table
from chalicelib.domain.errors import NotFound
from chalicelib.domain.model import Order, Role, User


class CompletionService:
    def __init__(
        self,
        table: Table,
        mailer: Mailer,
        clock: Callable[[], datetime],
        base_url: str,
        customer_service_email: str,
        operations_email: str,
    ) -> None:
        self._table = table
        self._mailer = mailer
        self._clock = clock
        self._base_url = base_url
        self._customer_service_email = customer_service_email
        self._operations_email = operations_email

    def _order(self, order_id: str) -> tuple[Order, int]:
        found = self._table.get_order(order_id)
        if found is None:
            raise NotFound(f"No order {order_id}.")
        return found

    def _emails(self, user_ids: list[str]) -> list[str]:
        people = [self._table.get_user(user_id) for user_id in user_ids]
        return [person.email for person in people if person is not None]

    def _agent_handlers(self, order: Order) -> list[User]:
        return self._table.organisation_users(order.agent_org_id, Role.AGENT_CASE_HANDLER)

    def create_case(self, order_id: str) -> dict[str, Any]:
        order, version = self._order(order_id)
        # The case number follows from the order number, so a retried task makes the same case once.
        case_number = f"CS{order.number.removeprefix('RITM')}"
        created = order.complete(case_number, self._clock())
        if created is not None:
            (
                self._table.transaction()
                .save_order(order, version)
                .add_events(order_id, [created])
                .put(
                    {
                        "pk": f"ORDER#{order_id}",
                        "sk": "CASE",
                        "entity": "case",
                        "case_number": case_number,
                        "order_id": order_id,
                        "order_number": order.number,
                        "customer_name": order.customer_name,
                        "offering_name": order.offering.name,
                        "flow": order.flow.value,
                        "created_at": created.at.isoformat(),
                        "gsi2pk": "CASES",
                        "gsi2sk": f"{created.at.isoformat()}#{order_id}",
                    },
                    "attribute_not_exists(pk)",
                )
                .commit()
            )
            link = f"{self._base_url}/orders/{order_id}"
            if order.agent_took_part:
                # Seed 002 step 5: the provider tells the agent to start the technical connection.
                agent_emails = [user.email for user in self._agent_handlers(order)]
                self._mailer.send(agent_emails, "case_created_agent", order=order, case_number=case_number, link=link)
            else:
                self._mailer.send(
                    [self._customer_service_email],
                    "case_created_customer_service",
                    order=order,
                    case_number=case_number,
                    link=link,
                )
            self._mailer.send(
                self._emails([order.orderer_id]), "order_completed", order=order, case_number=case_number, link=link
            )
        return {"case_number": case_number}

    def close(self, order_id: str, outcome: str) -> dict[str, Any]:
        """A declined or timed-out order: R-ORD-3 says the orderer, and the agent where it took part, hear why."""
        order, version = self._order(order_id)
        if outcome == "timed_out":
            timed_out = order.time_out(self._clock())
            if timed_out is not None:
                self._table.transaction().save_order(order, version).add_events(order_id, [timed_out]).commit()
        recipients = self._emails([order.orderer_id])
        if order.agent_took_part:
            recipients += [user.email for user in self._agent_handlers(order)]
        history = self._table.order_with_history(order_id)
        last_decision = next(
            (
                event
                for event in reversed(history[1] if history else [])
                if event.action in ("rejected", "cancelled", "timed_out")
            ),
            None,
        )
        self._mailer.send(
            recipients, "order_ended", order=order, event=last_decision, link=f"{self._base_url}/orders/{order_id}"
        )
        return {"status": order.status.value}

    def needs_attention(self, order_id: str, error: dict[str, Any]) -> dict[str, Any]:
        order, version = self._order(order_id)
        error_name = str(error.get("Error", "unknown"))
        marked = order.needs_attention(error_name, self._clock())
        if marked is not None:
            self._table.transaction().save_order(order, version).add_events(order_id, [marked]).commit()
        self._mailer.send(
            [self._operations_email],
            "needs_attention",
            order=order,
            error_name=error_name,
            cause=str(error.get("Cause", ""))[:1000],
        )
        return {"status": order.status.value}
