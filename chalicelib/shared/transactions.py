"""Writes of several contexts that succeed or fail together.

A service begins a transaction, each context's repository stages its writes into it, and the service
commits. The store behind it decides how (one DynamoDB TransactWriteItems, or a lock in memory).
"""

from __future__ import annotations

from typing import Protocol


class ConcurrentChange(Exception):
    """A staged condition failed at commit: someone changed the same thing first. Nothing was written."""


class Transaction(Protocol):
    def commit(self) -> None:
        """Writes everything staged, or nothing and raises ConcurrentChange."""


class Transactions(Protocol):
    def begin(self) -> Transaction: ...
