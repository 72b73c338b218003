"""A transaction over in-memory repositories: staged checks and writes, applied together under one lock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from chalicelib.shared.transactions import ConcurrentChange, Transaction


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
