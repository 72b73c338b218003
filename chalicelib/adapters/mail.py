"""E-mail through SES (implements notifications' `MailSender`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_ses import SESClient


class SesMailSender:
    def __init__(self, client: SESClient, sender: str, configuration_set: str | None = None) -> None:
        self._client = client
        self._sender = sender
        self._configuration_set = configuration_set

    def send(self, to: list[str], subject: str, text: str, html: str) -> None:
        kwargs: dict[str, Any] = {
            "Source": self._sender,
            "Destination": {"ToAddresses": to},
            "Message": {
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": text, "Charset": "UTF-8"}, "Html": {"Data": html, "Charset": "UTF-8"}},
            },
        }
        if self._configuration_set:
            kwargs["ConfigurationSetName"] = self._configuration_set
        self._client.send_email(**kwargs)
