"""Submitting and reading orders (DOMAIN.md Flow 2; R-ONB-1, R-ONB-2, R-ORD-1, R-ORD-7…9)."""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from chalicelib.directory.ports import Directory, Organisation
from chalicelib.notifications.ports import Outbox, OutboxMessage
from chalicelib.ordering.commands import PlaceOrder
from chalicelib.ordering.executions import resume_at
from chalicelib.ordering.model import Case, Catalogue, HistoryEvent, Order, OrderStatus
from chalicelib.ordering.ports import Catalogues, OrderNumbers, Orders, SubmitReads, Workflow
from chalicelib.ordering.progress import TrackedStep, progress
from chalicelib.ordering.reasons import (
    NO_CATALOGUE,
    NO_ORGANISATION,
    NO_SUCH_ORDER,
    ONLY_AGENT_HANDLERS_SEE_QUEUE,
    ONLY_CUSTOMER_SERVICE_SEES_CASES,
    ONLY_OPERATIONS_SEE_ATTENTION,
    ORGANISATION_NAME_AMBIGUOUS,
)
from chalicelib.ordering.rules import invoice_to_save, may_order, may_read, place_order
from chalicelib.shared.errors import InvalidRequest, NotAllowed, NotFound
from chalicelib.shared.identity import Actor, Person, Role
from chalicelib.shared.pagination import Page, PageRequest, one_after_another
from chalicelib.shared.time import Clock
from chalicelib.shared.transactions import ConcurrentChange, Transactions

# Order ids are derived from (orderer, Idempotency-Key): a resubmit finds the same order.
ORDER_ID_NAMESPACE = uuid.UUID("6d1f4c1e-8f0a-4a57-9a53-3f4c2b7d9e10")
START_WORKFLOW = "workflow.start"
# Two submits at the same moment may draw the same number; the one that loses draws again.
NUMBER_ATTEMPTS = 8
# Submits that drew the same number try again after a random pause of up to 10 ms, doubling with each attempt
# ("full jitter"), so that they spread out instead of all drawing the next number together again: up to
# 1.3 s in all before the submit is refused as a concurrent change, which a person may simply send again.
FIRST_PAUSE_SECONDS = 0.01
ORDER_NUMBER = re.compile(r"RITM[0-9]{7,12}")  # R-ORD-8: what `_place` draws
LONGEST_SEARCHED = 200  # longer is no id or name anyone types, and would strain a key


def workflow_input(order: Order, decision_timeout_seconds: int) -> dict[str, Any]:
    """What an order's execution starts with (statemachines/order_workflow.asl.json reads these); a resumed
    order's also says where it enters (the Choice `ResumeAt`)."""
    started = {
        "order_id": order.order_id,
        "flow": order.flow.value,
        "decision_timeout_seconds": decision_timeout_seconds,
        "orderer_id": order.orderer_id,
        "awaits_orderer_approval": order.held_for_orderer,
    }
    entry = resume_at(order)
    return started if entry is None else {**started, "resume_at": entry}


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
        submit_reads: SubmitReads,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self._submit_reads = submit_reads
        self._pause = pause
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

    def require_may_order(self, actor: Actor) -> None:
        """R-ONB-1, R-ONB-2: refuses someone who may not order at all (before they fill in a form)."""
        customer = self._directory.organisation(actor.person.org_id)
        if customer is None:
            raise NotAllowed(NO_ORGANISATION)
        may_order(actor.person, customer, self.catalogue())

    def check(self, actor: Actor, command: PlaceOrder) -> Order:
        """The order as it would be placed, every rule checked (the price shown before submit, R-ORD-1);
        nothing is stored and no number drawn."""
        customer = self._directory.organisation(actor.person.org_id)
        if customer is None:
            raise NotAllowed(NO_ORGANISATION)
        invoice_to_save(command.invoice, customer, "preview", field="invoice")
        order, _ = self._place(
            actor,
            customer,
            command,
            "0" * 32,
            lambda: 0,
            catalogue=self.catalogue(),
            attester=self._directory.person(command.attester_id),
            agent_organisation=self._directory.organisation(command.agent_org_id) if command.agent_org_id else None,
        )
        return order

    def submit(self, actor: Actor, command: PlaceOrder, idempotency_key: str) -> Order:
        """R-ORD-8: the order, its number, its first history event and the start of its workflow are one
        write; the workflow starts once the order is stored (the outbox), never the other way round."""
        order_id = uuid.uuid5(ORDER_ID_NAMESPACE, f"{actor.person.user_id}\n{idempotency_key}").hex
        for attempt in range(NUMBER_ATTEMPTS):
            if attempt:
                ceiling_ms = int(FIRST_PAUSE_SECONDS * 1000) << (attempt - 1)
                self._pause(secrets.randbelow(ceiling_ms + 1) / 1000)
            # One read of all of it: the order (if this submit was stored before), the organisation, the
            # attester, the agent, the catalogue, the orderer's standing and the last number drawn.
            read = self._submit_reads.for_submit(order_id, actor.person, command.attester_id, command.agent_org_id)
            if read.placed is not None:
                return read.placed  # the same submit, earlier
            transaction = self._transactions.begin()
            customer = read.customer
            if customer is None:
                raise NotAllowed(NO_ORGANISATION)
            if read.catalogue is None:
                raise NotFound(NO_CATALOGUE)
            order, submitted = self._place(
                actor,
                customer,
                command,
                order_id,
                partial(self._numbers.reserve, transaction, read.last_number),
                catalogue=read.catalogue,
                attester=read.attester,
                agent_organisation=read.agent_organisation,
            )
            # R-REQ-3: an orderer not approved yet has the case wait for the approval.
            order.held_for_orderer = read.awaits_orderer_approval
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
                    payload={
                        "name": order.order_id,
                        "input": workflow_input(order, self._decision_timeout_seconds),
                    },
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
        self,
        actor: Actor,
        customer: Organisation,
        command: PlaceOrder,
        order_id: str,
        number: Callable[[], int],
        *,
        catalogue: Catalogue,
        attester: Person | None,
        agent_organisation: Organisation | None,
    ) -> tuple[Order, HistoryEvent]:
        orderer = actor.person
        order, submitted = place_order(
            command,
            catalogue=catalogue,
            orderer=orderer,
            customer=customer,
            attester=attester,
            agent_organisation=agent_organisation,
            order_id=order_id,
            number=lambda: f"RITM{number():07d}",  # drawn only once every rule holds (ORDER_NUMBER)
            now=self._clock(),
        )
        return order, submitted.done_by(actor)  # R-REQ-5

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

    def orders_of_orderer(self, user_id: str, page: PageRequest) -> Page[Order]:
        """An orderer's orders, for their requisitioner (who checks that first, R-REQ-2)."""
        return self._orders.of_orderer(user_id, page)

    def count_of_orderer(self, user_id: str) -> int:
        return self._orders.count_of_orderer(user_id)

    def my_orders(self, actor: Actor, page: PageRequest) -> Page[Order]:
        return self._orders.of_orderer(actor.person.user_id, page)

    def organisation_orders(self, actor: Actor, page: PageRequest) -> Page[Order]:
        return self._orders.of_organisation(actor.person.org_id, page)

    def agent_queue(self, actor: Actor, page: PageRequest) -> Page[Order]:
        """R-ORD-7: the agent's customers' orders that wait for the agent."""
        if not actor.person.has_role(Role.AGENT_CASE_HANDLER):
            raise NotAllowed(ONLY_AGENT_HANDLERS_SEE_QUEUE)
        return self._orders.waiting_for_agent(actor.person.org_id, page)

    def needing_attention(self, actor: Actor, waited_longer_than: timedelta, page: PageRequest) -> Page[Order]:
        """The provider's operations: orders handed to them (needs attention) and then orders in progress
        unchanged for longer than `waited_longer_than`, each the longest unchanged first."""
        if not actor.person.has_role(Role.OPERATIONS):
            raise NotAllowed(ONLY_OPERATIONS_SEE_ATTENTION)
        unchanged_since = self._clock() - waited_longer_than
        return one_after_another(
            lambda part: self._orders.with_status(OrderStatus.NEEDS_ATTENTION, part),
            lambda part: self._orders.with_status(OrderStatus.IN_PROGRESS, part, changed_before=unchanged_since),
            page,
        )

    def cases(self, actor: Actor, page: PageRequest) -> Page[Case]:
        if not actor.person.has_role(Role.CUSTOMER_SERVICE):
            raise NotAllowed(ONLY_CUSTOMER_SERVICE_SEES_CASES)
        return self._orders.cases(page)

    def find_cases(
        self, actor: Actor, order_number: str | None, organisation: str | None, page: PageRequest
    ) -> Page[Case]:
        """Customer service finds the case of an order by the order's number, or a customer organisation's
        cases (newest first) by the organisation's id or its name; with both, the order's case if it is that
        organisation's; with neither, every case."""
        if not actor.person.has_role(Role.CUSTOMER_SERVICE):
            raise NotAllowed(ONLY_CUSTOMER_SERVICE_SEES_CASES)
        org_id = None
        if organisation and organisation.strip():
            org_id = self._organisation_searched(organisation.strip())
            if org_id is None:
                return Page([])  # no organisation of that id or name
        if order_number and order_number.strip():
            number = order_number.strip().upper()
            case = self._orders.case_of_order(number) if ORDER_NUMBER.fullmatch(number) else None
            if case is None or org_id not in (None, case.customer_org_id):
                return Page([])
            return Page([case])
        if org_id is not None:
            return self._orders.cases_of_organisation(org_id, page)
        return self._orders.cases(page)

    def _organisation_searched(self, searched: str) -> str | None:
        """The id of the organisation of this id or, failing that, of this name."""
        if len(searched) > LONGEST_SEARCHED:
            return None  # longer than any name or id is
        by_id = self._directory.organisation(searched)
        if by_id is not None:
            return by_id.org_id
        named = self._directory.organisations_named(searched)
        if len(named) > 1:
            raise InvalidRequest(ORGANISATION_NAME_AMBIGUOUS, field="organisation", name=searched, count=len(named))
        return named[0].org_id if named else None
