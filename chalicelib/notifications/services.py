"""Telling people through the outbox, and delivering what the outbox holds."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import Environment

from chalicelib.notifications.model import Mail
from chalicelib.notifications.ports import (
    Attachment,
    Batch,
    MailSender,
    Notification,
    Outbox,
    OutboxFeed,
    OutboxMessage,
)
from chalicelib.shared.languages import DEFAULT_LANGUAGE
from chalicelib.shared.transactions import Transaction

MAIL = "mail"


class OutboxNotifier:
    """Stages one mail per recipient: one person's rejected address fails only that person's mail."""

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    def notify(self, transaction: Transaction, notification: Notification) -> None:
        for recipient in {recipient.email: recipient for recipient in notification.recipients}.values():
            self._outbox.stage(
                transaction,
                OutboxMessage(
                    key=f"{notification.key}#{recipient.email}",
                    kind=MAIL,
                    payload={
                        "template": notification.template,
                        "to": recipient.email,
                        "language": recipient.language,
                        "context": notification.context,
                        **(
                            {"attachments": [vars(attachment) for attachment in notification.attachments]}
                            if notification.attachments
                            else {}
                        ),
                    },
                    correlation_id=notification.correlation_id,
                ),
            )


class MailDelivery:
    """Writes a mail in the recipient's language and sends it: one person, an HTML and a text part. What a mail
    says is `mail/<template>.j2` (its subject, greeting, paragraphs, the link's words and a note); both parts lay
    that out (`mail/_message.txt`, `mail/_message.html`) around the order it is about."""

    def __init__(self, templates: Callable[[str], Environment], sender: MailSender) -> None:
        self._templates = templates
        self._sender = sender

    def render(
        self, template: str, to: list[str], context: dict[str, Any], language: str = DEFAULT_LANGUAGE.value
    ) -> Mail:
        environment = self._templates(language)
        words = environment.get_template(f"mail/{template}.j2").make_module(context)
        parts = {
            part: environment.get_template(f"mail/_message.{part}").render(words=words, **context)
            for part in ("txt", "html")
        }
        subject = " ".join(str(getattr(words, "subject")).split())  # noqa: B009 - a template's exported name
        return Mail(to=to, subject=subject, text=parts["txt"], html=parts["html"])

    def deliver(self, payload: dict[str, Any]) -> None:
        language = payload.get("language") or DEFAULT_LANGUAGE.value  # messages staged before languages: Swedish
        mail = self.render(payload["template"], [payload["to"]], payload["context"], language)
        attachments = tuple(Attachment(**attachment) for attachment in payload.get("attachments", []))
        self._sender.send(mail.to, mail.subject, mail.text, mail.html, attachments)


class OutboxRelay:
    """Delivers each message by its kind. A failed one is tried again later by the feed; in a stream, the
    messages after it wait too, so none is delivered twice and none overtakes another."""

    def __init__(self, feed: OutboxFeed, deliverers: Mapping[str, Callable[[dict[str, Any]], None]]) -> None:
        self._feed = feed
        self._deliverers = deliverers

    def deliver(self, message: OutboxMessage) -> None:
        self._deliverers[message.kind](message.payload)

    def relay(
        self,
        event: dict[str, Any],
        failed: Callable[[OutboxMessage, Exception], None],
        delivering: Callable[[OutboxMessage], None] = lambda message: None,
    ) -> list[str]:
        """Delivers a batch; returns the receipts of the deliveries the feed must offer again."""
        batch: Batch = self._feed.batch(event)
        offered_again: list[str] = []
        for position, delivery in enumerate(batch.deliveries):
            delivering(delivery.message)
            try:
                self.deliver(delivery.message)
                continue
            except Exception as error:  # noqa: BLE001 - whatever failed, the message is tried again later
                failed(delivery.message, error)
            try:
                self._feed.try_again_later(delivery)
            except Exception as error:  # noqa: BLE001 - then the feed itself must offer it again
                failed(delivery.message, error)
                if batch.in_order:
                    return [later.receipt for later in batch.deliveries[position:]]
                offered_again.append(delivery.receipt)
        return offered_again
