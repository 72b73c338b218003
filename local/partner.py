"""A partner sending a signed event, as the practitioner network would (docs/bookings.md). `make sample-booking`
sends one to the local product; the tests sign theirs here too."""

from __future__ import annotations

import argparse
import json
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.bookings.partners import signature
from local.practice import CLIENT_IDENTITY_NUMBER, PARTNER_ID, PARTNER_SECRET, PRACTITIONER

PATH = "/api/partner-events"


def signed(
    event: dict[str, Any], secret: str = PARTNER_SECRET, partner_id: str = PARTNER_ID, at: float | None = None
) -> tuple[bytes, dict[str, str]]:
    """The raw body and the headers of one delivery: signed over `<timestamp>.<raw body>`."""
    body = json.dumps(event, separators=(",", ":")).encode()
    timestamp = str(int(at if at is not None else time.time()))
    return body, {
        "Content-Type": "application/json",
        "X-Partner-Id": partner_id,
        "X-Signature-Timestamp": timestamp,
        "X-Signature": signature(secret.encode(), timestamp, body),
    }


def booking_created(
    case_id: str = "SAK-2026-1001",
    starts_at: datetime | None = None,
    client: dict[str, Any] | None = None,
    booking_id: str | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A client booked through the network: tomorrow at ten, Norwegian time, unless told otherwise."""
    if starts_at is None:
        tomorrow = datetime.now(UTC).date() + timedelta(days=1)
        starts_at = datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, 0, tzinfo=UTC)
    return {
        "event_id": event_id or f"evt-{uuid.uuid4().hex}",
        "type": "booking.created",
        "occurred_at": datetime.now(UTC).isoformat(),
        "booking": {
            "booking_id": booking_id or f"nb-{uuid.uuid4().hex[:12]}",
            "practitioner_id": PRACTITIONER.practitioner_id,
            "case_id": case_id,
            "starts_at": starts_at.isoformat(),
        },
        "client": client
        or {"name": "Kari Nordmann", "email": "kari.nordmann@example.org", "identity_number": CLIENT_IDENTITY_NUMBER},
    }


def send(base_url: str, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body, headers = signed(event)
    request = urllib.request.Request(f"{base_url}{PATH}", data=body, headers=headers, method="POST")  # noqa: S310
    # The local product's own address, an http URL built above.
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310  # nosec B310
        return answer.status, json.loads(answer.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--case-id", default="SAK-2026-1001")
    arguments = parser.parse_args()
    status, answer = send(arguments.base_url, booking_created(arguments.case_id))
    print(status, json.dumps(answer))


if __name__ == "__main__":
    main()
