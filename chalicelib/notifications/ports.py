"""What other contexts hand over, and what notifications need.

Nothing a person or the workflow must be told leaves at once: a context stages an `OutboxMessage` into the
same transaction as the change that causes it (`Notifier` does so for mail), and the outbox relay delivers
it later, with retries, once the change is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.shared.transactions import Transaction


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str | None = None
    language: str = "sv"  # the language the person reads their mail in (Swedish unless they chose another)


@dataclass(frozen=True)
class Attachment:
    """A file a mail carries, as text (a calendar file): JSON, so it can wait in the outbox."""

    filename: str
    content_type: str
    content: str


@dataclass(frozen=True)
class Notification:
    """Something people must be told: which template says it, to whom, with what. `key` names the event it
    tells of (the same key is told once); `context` holds only JSON values."""

    key: str
    template: str
    recipients: tuple[Recipient, ...]
    context: dict[str, Any] = field(default_factory=dict)
    correlation_id: str | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class OutboxMessage:
    """One thing to deliver: a mail to one person, an answer to a waiting task, an execution to start.
    `kind` picks who delivers it; `key` keeps it once: staging the same key again is refused at commit."""

    key: str
    kind: str
    payload: dict[str, Any]
    correlation_id: str | None = None  # what the delivery's log lines are filed under (an order's id)


class Notifier(Protocol):
    def notify(self, transaction: Transaction, notification: Notification) -> None:
        """Stages one mail per recipient in `transaction`."""


class Outbox(Protocol):
    def stage(self, transaction: Transaction, message: OutboxMessage) -> None: ...


@dataclass(frozen=True)
class Delivery:
    """A message as the relay receives it, and how many times it was tried before."""

    message: OutboxMessage
    receipt: str  # what the feed knows the delivery by, to report it failed
    attempt: int = 1


@dataclass(frozen=True)
class Batch:
    deliveries: list[Delivery]
    in_order: bool  # True when later deliveries must wait for a failed one (a stream), False for a queue


class OutboxFeed(Protocol):
    """Where staged messages reach the relay from, and where a failed one goes to be tried again."""

    def batch(self, event: dict[str, Any]) -> Batch: ...

    def try_again_later(self, delivery: Delivery) -> None:
        """Queues the message for another attempt after a growing delay, or, after the last attempt, sets it
        aside for operations (the dead-letter queue)."""


class MailDeliverer(Protocol):
    def deliver(self, payload: dict[str, Any]) -> None:
        """Renders and sends one mail from an outbox payload: template, to, context."""


class MailSender(Protocol):
    def send(
        self, to: list[str], subject: str, text: str, html: str, attachments: tuple[Attachment, ...] = ()
    ) -> None: ...
