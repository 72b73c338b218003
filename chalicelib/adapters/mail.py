"""E-mail through SES (implements notifications' `MailSender`)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from chalicelib.notifications.ports import Attachment

if TYPE_CHECKING:
    from mypy_boto3_ses import SESClient


class SesMailSender:
    def __init__(self, client: SESClient, sender: str, configuration_set: str | None = None) -> None:
        self._client = client
        self._sender = sender
        self._configuration_set = configuration_set

    def send(self, to: list[str], subject: str, text: str, html: str, attachments: tuple[Attachment, ...] = ()) -> None:
        kwargs: dict[str, Any] = {}
        if self._configuration_set:
            kwargs["ConfigurationSetName"] = self._configuration_set
        if attachments:
            self._send_raw(to, subject, text, html, attachments, kwargs)
            return
        self._client.send_email(
            Source=self._sender,
            Destination={"ToAddresses": to},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": text, "Charset": "UTF-8"}, "Html": {"Data": html, "Charset": "UTF-8"}},
            },
            **kwargs,
        )

    def _send_raw(
        self,
        to: list[str],
        subject: str,
        text: str,
        html: str,
        attachments: tuple[Attachment, ...],
        kwargs: dict[str, Any],
    ) -> None:
        """A mail with files (a calendar invitation) is sent whole, as MIME: SES's simple form carries none."""
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = self._sender
        message["To"] = ", ".join(to)
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        for attachment in attachments:
            _, _, rest = attachment.content_type.partition("/")
            subtype, *parameters = (part.strip() for part in rest.split(";"))
            params = dict(parameter.split("=", 1) for parameter in parameters if "=" in parameter)
            params.pop("charset", None)
            message.add_attachment(attachment.content, subtype=subtype, filename=attachment.filename, params=params)
        self._client.send_raw_email(
            Source=self._sender, Destinations=to, RawMessage={"Data": message.as_bytes()}, **kwargs
        )
