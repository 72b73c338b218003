"""The local outbox: every e-mail and SMS the embedded AWS was asked to send, with working links.

Registered on the app only by `local.run`; never part of the deployed API.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

from chalice.app import Blueprint, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.entrypoints.contract import ANYONE, Call, operation
from local import partner
from local.embedded_aws import EmbeddedAws

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)
_HTML: dict[str, str | list[str]] = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
_JSON: dict[str, str | list[str]] = {"Content-Type": "application/json", "Cache-Control": "no-store"}
# How long `/outbox/messages` may wait for something new, and how often it looks meanwhile.
MOST_WAIT_SECONDS = 20
LOOK_EVERY_SECONDS = 0.01


class MessagesQuery(BaseModel):
    """From which mail and which SMS on (their positions in the order sent), and how long to wait for one."""

    model_config = ConfigDict(extra="forbid")

    mail: int = Field(default=0, ge=0)
    sms: int = Field(default=0, ge=0)
    wait: float = Field(default=0, ge=0, le=MOST_WAIT_SECONDS)


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

    @outbox.route("/outbox/messages")
    @operation(
        outbox,
        summary="The e-mails and SMS sent from a position on, as JSON (local product only)",
        description="Waits up to `wait` seconds while nothing has been sent after the positions given: a program "
        "reading the outbox from another process asks again with the positions it was answered, and is answered "
        "as soon as something is sent.",
        access=ANYONE,
        query=MessagesQuery,
        responses={200: None},
    )
    def sent_messages(call: Call[None]) -> Response:
        query: MessagesQuery = call.query
        deadline = time.monotonic() + query.wait
        while aws.mail_count() <= query.mail and aws.sms_count() <= query.sms and time.monotonic() < deadline:
            time.sleep(LOOK_EVERY_SECONDS)
        mail = [_as_json(email) for email in aws.sent_emails(query.mail)]
        sms = aws.sent_sms(query.sms)
        body = {"mail": mail, "sms": sms, "next_mail": query.mail + len(mail), "next_sms": query.sms + len(sms)}
        return Response(body=json.dumps(body), status_code=200, headers=_JSON)

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


def _as_json(email: dict[str, Any]) -> dict[str, Any]:
    """A mail with its files' bytes in base64 (a text file stays text)."""
    files = [
        {**file, "content": base64.b64encode(file["content"]).decode(), "content_encoding": "base64"}
        if isinstance(file["content"], bytes)
        else file
        for file in email.get("attachments", [])
    ]
    return {**email, "attachments": files}


def _page(aws: EmbeddedAws, sent: str = "") -> str:
    return _templates.get_template("outbox.html").render(
        emails=list(reversed(aws.sent_emails())), sms=list(reversed(aws.sent_sms())), sent=sent
    )
