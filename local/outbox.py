"""The local outbox: every e-mail and SMS the embedded AWS was asked to send, with working links.

Registered on the app only by `local.run`; never part of the deployed API.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path

from chalice.app import Blueprint, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from chalicelib.entrypoints.contract import ANYONE, Call, operation
from local import partner
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
        return Response(body=_page(aws), status_code=200, headers=_HTML)

    samples = itertools.count()

    @outbox.route("/outbox/sample-booking", methods=["POST"])
    @operation(
        outbox,
        summary="Sends a signed sample partner event to the product (local product only)",
        access=ANYONE,
        responses={200: None},
        media_type="text/html",
    )
    def sample_booking(call: Call[None]) -> Response:
        """Over HTTP, signed with the demo partner's secret, as `make sample-booking` does."""
        tomorrow = datetime.now(UTC).date() + timedelta(days=1)
        starts_at = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 7, 0, tzinfo=UTC)
        event = partner.booking_created(starts_at=starts_at + timedelta(hours=next(samples)))
        status, answer = partner.send(aws.environment["PUBLIC_BASE_URL"], event)
        return Response(body=_page(aws, f"Sent: {status} {json.dumps(answer)}"), status_code=200, headers=_HTML)

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
                files = "".join(
                    f'<section class="attachment"><h2>{escape(str(file["filename"]))}</h2>'
                    f"<pre>{escape(str(file['content']))}</pre></section>"
                    for file in email.get("attachments", [])
                )
                return Response(body=email["body"] + files, status_code=200, headers=_HTML)
        return Response(body="No such message.", status_code=404, headers=_HTML)

    return outbox


def _page(aws: EmbeddedAws, sent: str = "") -> str:
    return _templates.get_template("outbox.html").render(
        emails=list(reversed(aws.sent_emails())), sms=list(reversed(aws.sent_sms())), sent=sent
    )
