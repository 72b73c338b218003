"""The outbox, its feed and the link secret, in memory."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.notifications.ports import Batch, Delivery, OutboxMessage
from chalicelib.shared.transactions import Transaction

from .store import MemoryStore, staged


@dataclass
class MemoryOutbox:
    store: MemoryStore
    messages: dict[str, OutboxMessage] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # keys, as committed
    taken: int = 0

    def stage(self, transaction: Transaction, message: OutboxMessage) -> None:
        def keep() -> None:
            self.messages[message.key] = message
            self.order.append(message.key)

        staged(transaction).stage(keep, check=lambda: message.key not in self.messages)

    def take_new(self) -> list[OutboxMessage]:
        """What was committed since the last call, in order: what the stream would bring."""
        with self.store.lock:
            fresh = [self.messages[key] for key in self.order[self.taken :]]
            self.taken = len(self.order)
        return fresh


@dataclass
class MemoryFeed:
    """Implements `OutboxFeed`: events are {"messages": [(message, attempt)], "in_order": bool}."""

    max_attempts: int = 3
    retries: list[Delivery] = field(default_factory=list)
    dead_letters: list[Delivery] = field(default_factory=list)

    def batch(self, event: dict[str, Any]) -> Batch:
        deliveries = [
            Delivery(message, receipt=f"{message.key}@{attempt}", attempt=attempt)
            for message, attempt in event["messages"]
        ]
        return Batch(deliveries, in_order=event.get("in_order", True))

    def try_again_later(self, delivery: Delivery) -> None:
        again = replace(delivery, attempt=delivery.attempt + 1)
        (self.dead_letters if again.attempt > self.max_attempts else self.retries).append(again)


@dataclass
class FixedLinkSecret:
    secret: bytes = b"a link secret for the tests"

    def value(self) -> bytes:
        return self.secret
