"""Orders and their executions held to each other: an order stored but never started is started, an order
whose execution ended without it is handed to operations, an execution without a live order is stopped.
Run on a schedule; what it repairs is counted, and any repair is alarmed on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from chalicelib.ordering.endings import EndingService
from chalicelib.ordering.executions import execution_name, order_of_execution
from chalicelib.ordering.model import OrderStatus
from chalicelib.ordering.ports import ExecutionStatus, Orders, Workflow
from chalicelib.ordering.services import workflow_input
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.time import Clock

BATCH = PageRequest(limit=100)
T = TypeVar("T")


@dataclass
class Repairs:
    started: list[str] = field(default_factory=list)  # orders stored but never started
    handed_over: list[str] = field(default_factory=list)  # orders whose execution ended without ending them
    stopped: list[str] = field(default_factory=list)  # executions whose order is missing or has ended
    # Not a repair: orders running as they should but unchanged for longer than the stage allows (alarmed).
    waiting: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.started) + len(self.handed_over) + len(self.stopped)


class Reconciler:
    def __init__(
        self,
        orders: Orders,
        workflow: Workflow,
        endings: EndingService,
        clock: Clock,
        decision_timeout_seconds: int,
        settle: timedelta = timedelta(minutes=10),
        waiting_limit: timedelta = timedelta(hours=48),
    ) -> None:
        self._orders = orders
        self._workflow = workflow
        self._endings = endings
        self._clock = clock
        self._decision_timeout_seconds = decision_timeout_seconds
        # What changed less than this ago is left alone: its start or its end may still be on its way.
        self._settle = settle
        self._waiting_limit = waiting_limit

    def reconcile(self) -> Repairs:
        repairs = Repairs()
        self._orders_without_their_execution(repairs)
        self._executions_without_their_order(repairs)
        return repairs

    def _settled(self, changed_at: datetime) -> bool:
        return changed_at <= self._clock() - self._settle

    def _orders_without_their_execution(self, repairs: Repairs) -> None:
        for order in _every(lambda page: self._orders.with_status(OrderStatus.IN_PROGRESS, page)):
            if not self._settled(order.updated_at):
                continue
            # A resumed order's execution is its latest one (`execution_name`), not the one that failed.
            status = self._workflow.status(execution_name(order))
            if status is None:
                self._workflow.start(execution_name(order), workflow_input(order, self._decision_timeout_seconds))
                repairs.started.append(order.order_id)
            elif status is not ExecutionStatus.RUNNING:
                self._endings.needs_attention(
                    order.order_id, {"Error": f"Execution{status.value.title().replace('_', '')}"}
                )
                repairs.handed_over.append(order.order_id)
            elif order.updated_at <= self._clock() - self._waiting_limit:
                repairs.waiting.append(order.order_id)

    def _executions_without_their_order(self, repairs: Repairs) -> None:
        for name in _every(self._workflow.running):
            found = self._orders.get(order_of_execution(name))
            if found is None:
                self._workflow.stop(name, "No order of this name is stored.")
                repairs.stopped.append(name)
                continue
            order = found[0]
            if name != execution_name(order):
                # An execution the order was resumed out of (the resume starts anew only what had ended).
                self._workflow.stop(name, "The order was resumed under a newer execution.")
                repairs.stopped.append(name)
                continue
            # An order that needs attention keeps its execution until operations have looked at it.
            ended = order.status.is_final and order.status is not OrderStatus.NEEDS_ATTENTION
            if ended and self._settled(order.updated_at):
                self._workflow.stop(name, f"The order has ended ({order.status.value}).")
                repairs.stopped.append(name)


def _every(read: Callable[[PageRequest], Page[T]]) -> list[T]:
    """Every item of a paged list."""
    items: list[T] = []
    page = BATCH
    while True:
        found = read(page)
        items += found.items
        if found.next is None:
            return items
        page = PageRequest(limit=BATCH.limit, cursor=found.next)
