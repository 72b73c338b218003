"""Submitting and reading orders (DOMAIN.md Flow 2; R-ONB-1, R-ONB-2, R-ORD-1, R-ORD-7…9)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from chalicelib.directory.ports import Directory, Organisation
from chalicelib.notifications.ports import Outbox, OutboxMessage
from chalicelib.ordering.commands import PlaceOrder
from chalicelib.ordering.model import Case, Catalogue, HistoryEvent, Order
from chalicelib.ordering.ports import Catalogues, OrderNumbers, Orders, Workflow
from chalicelib.ordering.progress import TrackedStep, progress
from chalicelib.ordering.reasons import (
    NO_CATALOGUE,
    NO_ORGANISATION,
    NO_SUCH_ORDER,
    ONLY_AGENT_HANDLERS_SEE_QUEUE,
    ONLY_CUSTOMER_SERVICE_SEES_CASES,
)
from chalicelib.ordering.rules import invoice_to_save, may_read, place_order
from chalicelib.shared.errors import NotAllowed, NotFound
from chalicelib.shared.identity import Actor, Role
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.time import Clock
from chalicelib.shared.transactions import ConcurrentChange, Transactions

# Order ids are derived from (orderer, Idempotency-Key): a resubmit finds the same order.
ORDER_ID_NAMESPACE = uuid.UUID("6d1f4c1e-8f0a-4a57-9a53-3f4c2b7d9e10")
START_WORKFLOW = "workflow.start"
# Two submits at the same moment may draw the same number; the one that loses draws again.
NUMBER_ATTEMPTS = 5


def workflow_input(order: Order, decision_timeout_seconds: int) -> dict[str, Any]:
    """What an order's execution starts with (statemachines/order_workflow.asl.json reads these)."""
    return {
        "order_id": order.order_id,
        "flow": order.flow.value,
        "decision_timeout_seconds": decision_timeout_seconds,
    }


class OrderService:
    def __init__(
        self,
        orders: Orders,
        catalogues: Catalogues,
        numbers: OrderNumbers,
        directory: Directory,
        outbox: Outbox,
        workflow: Workflow,
        transactions: Transactions,
        clock: Clock,
        decision_timeout_seconds: int,
    ) -> None:
        self._orders = orders
        self._catalogues = catalogues
        self._numbers = numbers
        self._directory = directory
        self._outbox = outbox
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
        """R-ORD-8: the order, its number, its first history event and the start of its workflow are one
        write; the workflow starts once the order is stored (the outbox), never the other way round."""
        order_id = uuid.uuid5(ORDER_ID_NAMESPACE, f"{actor.person.user_id}\n{idempotency_key}").hex
        for _ in range(NUMBER_ATTEMPTS):
            found = self._orders.get(order_id)
            if found is not None:
                return found[0]  # the same submit, earlier
            transaction = self._transactions.begin()
            customer = self._directory.organisation(actor.person.org_id)
            if customer is None:
                raise NotAllowed(NO_ORGANISATION)
            order, submitted = self._place(
                actor, customer, command, order_id, partial(self._numbers.reserve, transaction)
            )
            self._orders.add(transaction, order, [submitted])
            # Saved for reuse with the order itself: both are written, or neither (a retry finds the order).
            saved = invoice_to_save(command.invoice, customer, order.order_id, field="invoice")
            if saved is not None:
                self._directory.add_invoice_details(transaction, customer, saved)
            self._outbox.stage(
                transaction,
                OutboxMessage(
                    key=f"order:{order.order_id}:start",
                    kind=START_WORKFLOW,
                    payload={"name": order.order_id, "input": workflow_input(order, self._decision_timeout_seconds)},
                    correlation_id=order.order_id,
                ),
            )
            try:
                transaction.commit()
            except ConcurrentChange:
                continue  # the number was taken, the same submit stored the order, or a saved address was added
            return order
        raise ConcurrentChange("no free order number after several attempts")

    def start_workflow(self, payload: dict[str, Any]) -> None:
        """Delivers the outbox's start of an order's workflow."""
        self._workflow.start(payload["name"], payload["input"])

    def _place(
        self, actor: Actor, customer: Organisation, command: PlaceOrder, order_id: str, number: Callable[[], int]
    ) -> tuple[Order, HistoryEvent]:
        orderer = actor.person
        return place_order(
            command,
            catalogue=self.catalogue(),
            orderer=orderer,
            customer=customer,
            attester=self._directory.person(command.attester_id),
            agent_organisation=self._directory.organisation(command.agent_org_id) if command.agent_org_id else None,
            order_id=order_id,
            number=lambda: f"RITM{number():07d}",  # drawn only once every rule holds
            now=self._clock(),
        )

    def read(self, actor: Actor, order_id: str) -> tuple[Order, list[HistoryEvent]]:
        found = self._orders.with_history(order_id)
        if found is None or not may_read(found[0], actor.person):
            raise NotFound(NO_SUCH_ORDER)  # not 403: do not confirm that the order exists
        return found

    def progress(self, actor: Actor, order_id: str) -> list[TrackedStep]:
        """The order's steps as a tracker shows them, to whoever may read the order."""
        order, history = self.read(actor, order_id)
        people = self._directory.people(order.agent_org_id, Role.AGENT_CASE_HANDLER)
        attester = self._directory.person(order.attester_id)
        return progress(order, history, [*people, *([attester] if attester else [])])

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
