"""From a notification to a sent mail: recipients, then the template's subject, text and HTML."""

from __future__ import annotations

from datetime import datetime

from jinja2 import Environment

from chalicelib.notifications.model import Mail
from chalicelib.notifications.ports import MailSender, Notification


def minute(timestamp: str) -> str:
    """An ISO 8601 timestamp as the minute it falls in, as mails show times."""
    return datetime.fromisoformat(timestamp).strftime("%Y-%m-%d %H:%M")


class MailNotifier:
    """Renders `mail/<template>.{subject.txt,txt,html}` and sends one message to every recipient."""

    def __init__(self, templates: Environment, sender: MailSender) -> None:
        self._templates = templates
        self._templates.filters.setdefault("minute", minute)
        self._sender = sender

    def render(self, notification: Notification) -> Mail:
        context = notification.context

        def rendered(part: str) -> str:
            return self._templates.get_template(f"mail/{notification.template}.{part}").render(**context)

        return Mail(
            to=sorted({recipient.email for recipient in notification.recipients}),
            subject=rendered("subject.txt").strip(),
            text=rendered("txt"),
            html=rendered("html"),
        )

    def notify(self, notification: Notification) -> None:
        if not notification.recipients:
            return
        mail = self.render(notification)
        self._sender.send(mail.to, mail.subject, mail.text, mail.html)
