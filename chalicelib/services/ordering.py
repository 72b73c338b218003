"""Submitting and reading orders (DOMAIN.md Flow 2; R-ONB-1, R-ONB-2, R-ORD-1, R-ORD-6…9)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.adapters.table import ConcurrentChange, Table
from chalicelib.adapters.workflow import Workflow
from chalicelib.domain.commands import PlaceOrder
from chalicelib.domain.errors import NotAllowed, NotFound
from chalicelib.domain.model import Catalogue, HistoryEvent, Order, Role, User
from chalicelib.domain.ordering import may_read, place_order

# Order ids are derived from (orderer, Idempotency-Key): a retry after a crash between the order's write
# and the workflow's start finds the same order and starts the same, idempotently named, execution.
ORDER_ID_NAMESPACE = uuid.UUID("6d1f4c1e-8f0a-4a57-9a53-3f4c2b7d9e10")


class OrderService:
    def __init__(
        self, table: Table, workflow: Workflow, clock: Callable[[], datetime], decision_timeout_seconds: int
    ) -> None:
        self._table = table
        self._workflow = workflow
        self._clock = clock
        self._decision_timeout_seconds = decision_timeout_seconds

    def catalogue(self) -> Catalogue:
        catalogue = self._table.get_catalogue()
        if catalogue is None:
            raise NotFound("The catalogue has not been loaded.")
        return catalogue

    def submit(self, user: User, command: PlaceOrder, idempotency_key: str) -> Order:
        order_id = uuid.uuid5(ORDER_ID_NAMESPACE, f"{user.user_id}\n{idempotency_key}").hex
        found = self._table.get_order(order_id)
        order = found[0] if found else self._place(user, command, order_id)
        self._workflow.start(
            order.order_id,
            {
                "order_id": order.order_id,
                "flow": order.flow.value,
                "decision_timeout_seconds": self._decision_timeout_seconds,
            },
        )
        return order

    def _place(self, user: User, command: PlaceOrder, order_id: str) -> Order:
        customer = self._table.get_organisation(user.org_id)
        if customer is None:
            raise NotAllowed("Your account belongs to no known organisation.")
        order, submitted = place_order(
            command,
            catalogue=self.catalogue(),
            orderer=user,
            customer=customer,
            attester=self._table.get_user(command.attester_id),
            agent_organisation=self._table.get_organisation(command.agent_org_id) if command.agent_org_id else None,
            order_id=order_id,
            number=self._next_number,
            now=self._clock(),
        )
        # R-ORD-8: the order, its number and its first history event are one write.
        try:
            self._table.transaction().save_order(order, None).add_events(order_id, [submitted]).commit()
        except ConcurrentChange:
            found = self._table.get_order(order_id)  # the same submit, a moment earlier
            if found is None:
                raise
            return found[0]
        return order

    def _next_number(self) -> str:
        return f"RITM{self._table.next_order_number():07d}"

    def read(self, user: User, order_id: str) -> tuple[Order, list[HistoryEvent]]:
        found = self._table.order_with_history(order_id)
        if found is None:
            raise NotFound("No such order.")
        order, history = found
        if not may_read(order, user):
            raise NotFound("No such order.")  # not 403: do not confirm that the order exists
        return order, history

    def my_orders(self, user: User) -> list[Order]:
        return self._table.orders_of_orderer(user.user_id)

    def organisation_orders(self, user: User) -> list[Order]:
        return self._table.orders_of_organisation(user.org_id)

    def pending_actions(self, user: User) -> list[dict[str, Any]]:
        """R-ORD-6: every step waiting for this person."""
        return self._table.pending_for(user.user_id)

    def agent_queue(self, user: User) -> list[Order]:
        """R-ORD-7: the agent's customers' orders that wait for the agent."""
        if not user.has_role(Role.AGENT_CASE_HANDLER):
            raise NotAllowed("Only an agent's case handlers see its queue.")
        return self._table.agent_queue(user.org_id)

    def cases(self, user: User) -> list[dict[str, Any]]:
        if not user.has_role(Role.CUSTOMER_SERVICE):
            raise NotAllowed("Only customer service sees the cases.")
        return self._table.cases()
