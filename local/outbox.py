"""The local outbox: every e-mail and SMS the embedded AWS was asked to send, with working links.

Registered on the app only by `local.run`; never part of the deployed API.
"""

from __future__ import annotations

from pathlib import Path

from chalice.app import Blueprint, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from chalicelib.entrypoints.contract import ANYONE, Call, operation
from local.embedded_aws import EmbeddedAws

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)
_HTML: dict[str, str | list[str]] = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}


def outbox_blueprint(aws: EmbeddedAws) -> Blueprint:
    outbox = Blueprint(__name__)

    @outbox.route("/outbox")
    @operation(
        outbox,
        summary="Every e-mail and SMS sent (local product only)",
        access=ANYONE,
        responses={200: None},
        media_type="text/html",
    )
    def messages(call: Call[None]) -> Response:
        html = _templates.get_template("outbox.html").render(
            emails=list(reversed(aws.sent_emails())), sms=list(reversed(aws.sent_sms()))
        )
        return Response(body=html, status_code=200, headers=_HTML)

    @outbox.route("/outbox/mail/{message_id}")
    @operation(
        outbox,
        summary="One e-mail as its recipient reads it (local product only)",
        access=ANYONE,
        path={"message_id": str},
        responses={200: None, 404: None},
        media_type="text/html",
    )
    def message(call: Call[None]) -> Response:
        message_id = call.path["message_id"]
        for email in aws.sent_emails():
            if email["id"] == message_id:
                return Response(body=email["body"], status_code=200, headers=_HTML)
        return Response(body="No such message.", status_code=404, headers=_HTML)

    return outbox
