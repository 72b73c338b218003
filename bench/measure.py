"""What every section shares: a log of real AWS API calls, medians, and aligned plain-text tables."""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.handlers import BUILTIN_HANDLERS

BENCH = "the bench itself"
ENGINE = "moto's workflow engine"
WRITE_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")


@dataclass(frozen=True)
class AwsCall:
    """One AWS API call as the SDK made it (retries inside the SDK are one call)."""

    thread: int
    actor: str  # who made it: an API route, a workflow task, moto's engine, or the bench itself
    service: str
    operation: str
    table: str | None
    transact_items: tuple[tuple[str, str], ...]  # (Put | Update | Delete | ConditionCheck, table name)
    batch_tables: tuple[str, ...]  # the tables a BatchGetItem or BatchWriteItem names in its RequestItems
    scanned_count: int  # what a Query or Scan read, as DynamoDB reports it; 0 for other calls
    seconds: float

    @property
    def is_write(self) -> bool:
        return self.service == "dynamodb" and self.operation in WRITE_OPERATIONS

    def label(self, table_labels: dict[str, str]) -> str:
        """`GetItem` for the application table, `PutItem [idempotency]` for another one."""
        tables = {self.table} if self.table else {table for _, table in self.transact_items} | set(self.batch_tables)
        named = sorted(table_labels.get(table, table) for table in tables if table_labels.get(table, table))
        return f"{self.operation} [{', '.join(named)}]" if named else self.operation


class AwsCallLog:
    """Counts the calls every boto3 client makes, whoever built it (the app, Powertools, moto's engine).

    The hook goes into botocore's built-in handlers, as moto's own does, so every client built after
    `install()` reports to it: install before the first client of interest is built.
    """

    def __init__(self) -> None:
        self.calls: list[AwsCall] = []
        self.acts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._actor = threading.local()

    @contextmanager
    def acting(self, actor: str) -> Iterator[None]:
        """Calls made in this thread until the block ends are `actor`'s (a route or a task)."""
        previous = getattr(self._actor, "name", None)
        self._actor.name = actor
        with self._lock:
            self.acts[actor] += 1
        try:
            yield
        finally:
            self._actor.name = previous

    def _current_actor(self) -> str:
        actor = getattr(self._actor, "name", None)
        if actor:
            return str(actor)
        return BENCH if threading.current_thread() is threading.main_thread() else ENGINE

    def install(self) -> AwsCallLog:
        # provide-client-params sees what the caller passed, before botocore serializes it
        BUILTIN_HANDLERS.append(("provide-client-params", self._started))
        BUILTIN_HANDLERS.append(("after-call", self._finished))
        return self

    def _started(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["bench_params"] = params
        context["bench_started"] = time.perf_counter()

    def _finished(self, model: Any, context: dict[str, Any], parsed: dict[str, Any], **_: Any) -> None:
        seconds = time.perf_counter() - context.get("bench_started", time.perf_counter())
        params = context.get("bench_params") or {}
        transact = tuple(
            (kind, str(request.get("TableName", "")))
            for item in params.get("TransactItems", [])
            for kind, request in item.items()
        )
        call = AwsCall(
            thread=threading.get_ident(),
            actor=self._current_actor(),
            service=model.service_model.service_name,
            operation=model.name,
            table=params.get("TableName"),
            transact_items=transact,
            batch_tables=tuple(sorted(params.get("RequestItems") or {})),
            scanned_count=int(parsed.get("ScannedCount", 0) or 0),
            seconds=seconds,
        )
        with self._lock:
            self.calls.append(call)

    def mark(self) -> int:
        with self._lock:
            return len(self.calls)

    def since(self, mark: int, thread: int | None = None) -> list[AwsCall]:
        with self._lock:
            calls = self.calls[mark:]
        return [call for call in calls if thread is None or call.thread == thread]


def counted(calls: Iterable[AwsCall], table_labels: dict[str, str]) -> Counter[str]:
    return Counter(f"{call.service}:{call.label(table_labels)}" for call in calls)


def median_ms(samples: Sequence[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def spread(samples: Sequence[float]) -> dict[str, float | int]:
    """Median, fastest and slowest of `samples` (seconds), in milliseconds."""
    return {
        "median_ms": median_ms(samples),
        "min_ms": round(min(samples) * 1000, 2),
        "max_ms": round(max(samples) * 1000, 2),
        "n": len(samples),
    }


def ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 2) if denominator else float("nan")


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], indent: str = "  ") -> str:
    """Left-aligned first column, right-aligned figures."""
    cells = [[str(cell) for cell in headers], *[[_cell(cell) for cell in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        parts = [row[0].ljust(widths[0]), *(cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))]
        lines.append(indent + "  ".join(parts).rstrip())
        if n == 0:
            lines.append(indent + "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
