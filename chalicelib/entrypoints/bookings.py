"""Bookings from partners (R-BKG-1): the signed events the practitioner network and the insurers send, kept and
answered at once (entrypoints/booking_events.py applies them from the booking events queue)."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.bookings.partners import PartnerEvent
from chalicelib.bootstrap import container
from chalicelib.entrypoints.contract import ANYONE, Call, Header, Strict, operation, reply
from chalicelib.shared.errors import InvalidRequest, NotSignedIn

bookings = Blueprint(__name__)

PARTNER_HEADERS = (
    Header("X-Partner-Id", r"[a-z0-9][a-z0-9-]{1,62}", "the partner's id, as agreed with the provider"),
    Header("X-Signature-Timestamp", r"[0-9]{10}", "when the request was signed, in Unix seconds"),
    Header(
        "X-Signature",
        r"v1=[0-9a-f]{64}",
        "v1= and the hex HMAC-SHA256 of '<timestamp>.<raw body>' under the partner's secret",
    ),
)


class EventAccepted(Strict):
    event_id: str
    status: str  # received (queued), processed or parked: as far as the event has come
    duplicate: bool  # the event had been received before; nothing was done twice


@bookings.route("/api/partner-events", methods=["POST"])
@operation(
    bookings,
    summary="A partner's booking or insurer case event, signed with the partner's secret",
    access=ANYONE,
    body=PartnerEvent,
    headers=PARTNER_HEADERS,
    responses={202: EventAccepted},
    refusals=(NotSignedIn, InvalidRequest),
    description=(
        "Booking created, moved or cancelled; insurer case opened or changed (docs/bookings.md). The event is "
        "kept and queued before the answer; it is applied shortly after. A signature more than five minutes "
        "old, or used before, is refused; the same event id again is answered as before and done once."
    ),
    tag="bookings",
)
def receive_partner_event(call: Call[PartnerEvent]) -> Response:
    raw = call.request.raw_body
    kept, duplicate = container().intake.receive(
        call.header("X-Partner-Id"),
        call.header("X-Signature-Timestamp"),
        call.header("X-Signature"),
        raw if isinstance(raw, bytes) else str(raw).encode(),
        call.body,
    )
    return reply(EventAccepted(event_id=kept.event_id, status=kept.status.value, duplicate=duplicate), 202)
