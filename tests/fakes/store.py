"""A transaction over in-memory repositories: staged checks and writes, applied together under one lock."""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from chalicelib.shared.pagination import Page, PageRequest, bad_cursor
from chalicelib.shared.transactions import ConcurrentChange, Transaction

T = TypeVar("T")


@dataclass
class MemoryTransaction:
    store: MemoryStore
    checks: list[Callable[[], bool]] = field(default_factory=list)
    writes: list[Callable[[], None]] = field(default_factory=list)

    def stage(self, write: Callable[[], None], check: Callable[[], bool] | None = None) -> None:
        if check is not None:
            self.checks.append(check)
        self.writes.append(write)

    def commit(self) -> None:
        with self.store.lock:
            if not all(check() for check in self.checks):
                raise ConcurrentChange("a staged condition did not hold")
            for write in self.writes:
                write()
        self.store.commits += 1


@dataclass
class MemoryStore:
    """Implements `Transactions`; every in-memory repository stages into its transactions."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    commits: int = 0

    def begin(self) -> MemoryTransaction:
        return MemoryTransaction(self)


def staged(transaction: Transaction) -> MemoryTransaction:
    if not isinstance(transaction, MemoryTransaction):
        raise TypeError(f"an in-memory repository cannot write into {type(transaction).__name__}")
    return transaction


def paged(items: list[T], position: Callable[[T], str], page: PageRequest) -> Page[T]:
    """A page of `items`, newest (greatest `position`) first, as the DynamoDB adapter pages a query."""
    ordered = sorted(items, key=position, reverse=True)
    if page.cursor:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(page.cursor + "=" * (-len(page.cursor) % 4)))
        except (binascii.Error, ValueError):
            raise bad_cursor() from None
        if not isinstance(decoded, dict) or set(decoded) != {"after"} or not isinstance(decoded["after"], str):
            raise bad_cursor()
        ordered = [item for item in ordered if position(item) < decoded["after"]]
    chunk = ordered[: page.limit]
    if len(ordered) <= page.limit:
        return Page(chunk)
    cursor = json.dumps({"after": position(chunk[-1])}).encode()
    return Page(chunk, base64.urlsafe_b64encode(cursor).decode().rstrip("="))


@dataclass
class MemoryLimits:
    """shared/limits.py's counters, in memory."""

    counts: dict[tuple[str, str, str], int] = field(default_factory=dict)

    def take(self, limit: Any, asker: str, now: Any) -> bool:
        key = (limit.name, asker.strip().lower(), limit.window_of(now))
        if self.counts.get(key, 0) >= limit.times:
            return False
        self.counts[key] = self.counts.get(key, 0) + 1
        return True
