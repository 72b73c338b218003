"""Submitting and reading orders (DOMAIN.md Flow 2; R-ONB-1, R-ONB-2, R-ORD-1, R-ORD-7…9)."""

from __future__ import annotations

import uuid

from chalicelib.directory.ports import Directory
from chalicelib.ordering.commands import PlaceOrder
from chalicelib.ordering.model import Case, Catalogue, HistoryEvent, Order
from chalicelib.ordering.ports import Catalogues, OrderNumbers, Orders, Workflow
from chalicelib.ordering.reasons import (
    NO_CATALOGUE,
    NO_ORGANISATION,
    NO_SUCH_ORDER,
    ONLY_AGENT_HANDLERS_SEE_QUEUE,
    ONLY_CUSTOMER_SERVICE_SEES_CASES,
)
from chalicelib.ordering.rules import may_read, place_order
from chalicelib.shared.errors import NotAllowed, NotFound
from chalicelib.shared.identity import Actor, Role
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.time import Clock
from chalicelib.shared.transactions import ConcurrentChange, Transactions

# Order ids are derived from (orderer, Idempotency-Key): a retry after a crash between the order's write
# and the workflow's start finds the same order and starts the same, idempotently named, execution.
ORDER_ID_NAMESPACE = uuid.UUID("6d1f4c1e-8f0a-4a57-9a53-3f4c2b7d9e10")


class OrderService:
    def __init__(
        self,
        orders: Orders,
        catalogues: Catalogues,
        numbers: OrderNumbers,
        directory: Directory,
        workflow: Workflow,
        transactions: Transactions,
        clock: Clock,
        decision_timeout_seconds: int,
    ) -> None:
        self._orders = orders
        self._catalogues = catalogues
        self._numbers = numbers
        self._directory = directory
        self._workflow = workflow
        self._transactions = transactions
        self._clock = clock
        self._decision_timeout_seconds = decision_timeout_seconds

    def catalogue(self) -> Catalogue:
        catalogue = self._catalogues.current()
        if catalogue is None:
            raise NotFound(NO_CATALOGUE)
        return catalogue

    def submit(self, actor: Actor, command: PlaceOrder, idempotency_key: str) -> Order:
        order_id = uuid.uuid5(ORDER_ID_NAMESPACE, f"{actor.person.user_id}\n{idempotency_key}").hex
        found = self._orders.get(order_id)
        order = found[0] if found else self._place(actor, command, order_id)
        self._workflow.start(
            order.order_id,
            {
                "order_id": order.order_id,
                "flow": order.flow.value,
                "decision_timeout_seconds": self._decision_timeout_seconds,
            },
        )
        return order

    def _place(self, actor: Actor, command: PlaceOrder, order_id: str) -> Order:
        orderer = actor.person
        customer = self._directory.organisation(orderer.org_id)
        if customer is None:
            raise NotAllowed(NO_ORGANISATION)
        order, submitted = place_order(
            command,
            catalogue=self.catalogue(),
            orderer=orderer,
            customer=customer,
            attester=self._directory.person(command.attester_id),
            agent_organisation=self._directory.organisation(command.agent_org_id) if command.agent_org_id else None,
            order_id=order_id,
            number=self._next_number,
            now=self._clock(),
        )
        # R-ORD-8: the order, its number and its first history event are one write.
        transaction = self._transactions.begin()
        self._orders.add(transaction, order, [submitted])
        try:
            transaction.commit()
        except ConcurrentChange:
            found = self._orders.get(order_id)  # the same submit, a moment earlier
            if found is None:
                raise
            return found[0]
        return order

    def _next_number(self) -> str:
        return f"RITM{self._numbers.next():07d}"

    def read(self, actor: Actor, order_id: str) -> tuple[Order, list[HistoryEvent]]:
        found = self._orders.with_history(order_id)
        if found is None or not may_read(found[0], actor.person):
            raise NotFound(NO_SUCH_ORDER)  # not 403: do not confirm that the order exists
        return found

    def my_orders(self, actor: Actor, page: PageRequest) -> Page[Order]:
        return self._orders.of_orderer(actor.person.user_id, page)

    def organisation_orders(self, actor: Actor, page: PageRequest) -> Page[Order]:
        return self._orders.of_organisation(actor.person.org_id, page)

    def agent_queue(self, actor: Actor, page: PageRequest) -> Page[Order]:
        """R-ORD-7: the agent's customers' orders that wait for the agent."""
        if not actor.person.has_role(Role.AGENT_CASE_HANDLER):
            raise NotAllowed(ONLY_AGENT_HANDLERS_SEE_QUEUE)
        return self._orders.waiting_for_agent(actor.person.org_id, page)

    def cases(self, actor: Actor, page: PageRequest) -> Page[Case]:
        if not actor.person.has_role(Role.CUSTOMER_SERVICE):
            raise NotAllowed(ONLY_CUSTOMER_SERVICE_SEES_CASES)
        return self._orders.cases(page)
