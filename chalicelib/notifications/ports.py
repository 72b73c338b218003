"""What other contexts hand over (a `Notification` to a `Notifier`), and what notifications need: a way to
send mail."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str | None = None


@dataclass(frozen=True)
class Notification:
    """Something people must be told: which template says it, to whom, with what. `context` holds only
    JSON values (strings, numbers, lists, mappings), so a notification can be stored and sent later."""

    template: str
    recipients: tuple[Recipient, ...]
    context: dict[str, Any] = field(default_factory=dict)


class Notifier(Protocol):
    def notify(self, notification: Notification) -> None: ...


class MailSender(Protocol):
    def send(self, to: list[str], subject: str, text: str, html: str) -> None: ...
