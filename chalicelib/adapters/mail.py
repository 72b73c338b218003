"""E-mail through SES: every message rendered from Jinja2 templates, HTML and text."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jinja2 import Environment

if TYPE_CHECKING:
    from mypy_boto3_ses import SESClient


class Mailer:
    def __init__(
        self, client: SESClient, sender: str, templates: Environment, configuration_set: str | None = None
    ) -> None:
        self._client = client
        self._sender = sender
        self._templates = templates
        self._configuration_set = configuration_set

    def send(self, to: list[str], template: str, **context: Any) -> None:
        """Renders mail/<template>.{subject,txt,html} and sends one message to `to`."""
        subject = self._templates.get_template(f"mail/{template}.subject.txt").render(**context).strip()
        text = self._templates.get_template(f"mail/{template}.txt").render(**context)
        html = self._templates.get_template(f"mail/{template}.html").render(**context)
        kwargs: dict[str, Any] = {
            "Source": self._sender,
            "Destination": {"ToAddresses": sorted(set(to))},
            "Message": {
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": text, "Charset": "UTF-8"}, "Html": {"Data": html, "Charset": "UTF-8"}},
            },
        }
        if self._configuration_set:
            kwargs["ConfigurationSetName"] = self._configuration_set
        self._client.send_email(**kwargs)
