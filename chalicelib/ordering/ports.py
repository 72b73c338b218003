"""What ordering needs: a store for orders, their history and cases, the catalogue, order numbers, and the
workflow that carries an order through its chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from chalicelib.directory.ports import Organisation
from chalicelib.ordering.model import Case, Catalogue, HistoryEvent, Order, OrderStatus
from chalicelib.shared.identity import Person
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.transactions import Transaction


class Orders(Protocol):
    def get(self, order_id: str) -> tuple[Order, int] | None:
        """The order and its version, for a change written back only if nobody changed it meanwhile."""

    def with_history(self, order_id: str) -> tuple[Order, list[HistoryEvent]] | None: ...

    def add(self, transaction: Transaction, order: Order, events: list[HistoryEvent]) -> None:
        """Stages a new order (refused at commit if it exists) with its first history."""

    def save(self, transaction: Transaction, order: Order, version: int, events: list[HistoryEvent | None]) -> None:
        """Stages the changed order, if it is still at `version`, and the events that say what changed."""

    def add_case(self, transaction: Transaction, case: Case) -> None:
        """Stages a case, refused at commit if the order already has one."""

    def of_orderer(self, user_id: str, page: PageRequest) -> Page[Order]:
        """Newest first, as every list below."""

    def count_of_orderer(self, user_id: str) -> int:
        """How many orders the person placed (a requisitioner's list of orderers, R-REQ-2)."""

    def of_organisation(self, org_id: str, page: PageRequest) -> Page[Order]: ...

    def waiting_for_agent(self, agent_org_id: str, page: PageRequest) -> Page[Order]:
        """Most recently changed first."""

    def with_status(
        self, status: OrderStatus, page: PageRequest, changed_before: datetime | None = None
    ) -> Page[Order]:
        """Orders still open (in progress, or needing attention), the longest unchanged first; only those last
        changed before `changed_before`, if given."""

    def cases(self, page: PageRequest) -> Page[Case]: ...

    def case_of_order(self, order_number: str) -> Case | None:
        """The case of the order with this number, if it has one."""

    def cases_of_organisation(self, org_id: str, page: PageRequest) -> Page[Case]:
        """The cases of one customer organisation's orders, newest first."""


@dataclass(frozen=True)
class SubmitReading:
    """Everything a submit reads before it places an order, as it stood at one moment."""

    placed: Order | None  # the same submit, stored earlier
    customer: Organisation | None  # the orderer's organisation
    attester: Person | None
    agent_organisation: Organisation | None  # None when the order names no agent, or one that is not there
    catalogue: Catalogue | None
    last_number: int  # the last order number drawn (0 before the first), for `OrderNumbers.reserve`
    awaits_orderer_approval: bool  # R-REQ-3: an orderer not approved yet has the case wait for the approval


class SubmitReads(Protocol):
    def for_submit(self, order_id: str, orderer: Person, attester_id: str, agent_org_id: str | None) -> SubmitReading:
        """What a submit of `order_id` by `orderer` needs, in as few reads as the store allows (one, on
        DynamoDB)."""


class Catalogues(Protocol):
    def current(self) -> Catalogue | None: ...

    def replace(self, catalogue: Catalogue) -> bool:
        """Stores `catalogue` unless the same or a newer version is there; True if it was stored."""


class OrderNumbers(Protocol):
    def reserve(self, transaction: Transaction, last: int) -> int:
        """The number after `last` (the last one drawn, as `SubmitReads` read it), taken in `transaction`: if it
        does not commit, the number stays free (a concurrent submit that took it first makes the commit fail, to
        be tried again with a fresh read)."""


class ExecutionStatus(StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"


class Workflow(Protocol):
    def start(self, name: str, execution_input: dict[str, Any]) -> None:
        """Starts the execution named `name`; starting the same name again starts nothing."""

    def status(self, name: str) -> ExecutionStatus | None:
        """How the execution named `name` stands; None if it was never started."""

    def running(self, page: PageRequest) -> Page[str]:
        """The names of the executions still running."""

    def stop(self, name: str, cause: str) -> None: ...
