"""Partner events (R-BKG-1): what the practitioner network or an insurer sends, how it is signed, and what is kept
of it. The signature is HMAC-SHA256 under the partner's secret over `<timestamp>.<raw body>`; pure Python."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints, model_validator

from chalicelib.bookings.commands import CaseId, EmailAddress, IdentityNumberText
from chalicelib.bookings.model import LONGEST_APPOINTMENT_MINUTES, SLOT_MINUTES, CaseStatus
from chalicelib.bookings.reasons import (
    BAD_SIGNATURE,
    EVENT_ID_REUSED,
    EVENT_NEEDS_PART,
    SIGNATURE_REUSED,
    STALE_SIGNATURE,
)
from chalicelib.shared.commands import WHOLE, Command, Identifier, Text
from chalicelib.shared.deferred import Model
from chalicelib.shared.errors import InvalidRequest, NotSignedIn

# A signature is good for five minutes either side of its timestamp (clocks drift); a used one is kept as long.
SIGNATURE_TOLERANCE = timedelta(minutes=5)
SIGNATURE_SCHEME = "v1"

# JSON has no datetime: an ISO 8601 string with its offset is taken as one, although commands are strict.
Moment = Annotated[AwareDatetime, Field(strict=False)]
PartnerId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
EventId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,100}$")]


def signature(secret: bytes, timestamp: str, raw_body: bytes) -> str:
    """What the partner sends in `X-Signature`: `v1=` and the hex HMAC-SHA256 of `<timestamp>.<raw body>`."""
    digest = hmac.new(secret, timestamp.encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_SCHEME}={digest}"


def check_signature(secret: bytes | None, timestamp: str, raw_body: bytes, sent: str, now: datetime) -> None:
    """Refuses a wrong signature (compared in constant time), an unknown partner (no secret) the same way, and a
    timestamp more than five minutes from now. Nothing about the secret reaches the refusal."""
    expected = signature(secret or b"", timestamp, raw_body)
    if secret is None or not hmac.compare_digest(expected.encode(), sent.encode()):
        raise NotSignedIn(BAD_SIGNATURE, field="X-Signature")
    moment = datetime.fromtimestamp(int(timestamp), now.tzinfo)
    if abs(now - moment) > SIGNATURE_TOLERANCE:
        raise NotSignedIn(STALE_SIGNATURE, field="X-Signature-Timestamp")


def signature_used(sent: str) -> NotSignedIn:
    return NotSignedIn(SIGNATURE_REUSED, field="X-Signature")


# --- the events --------------------------------------------------------------------------------------------


class EventType(StrEnum):
    BOOKING_CREATED = "booking.created"
    BOOKING_MOVED = "booking.moved"
    BOOKING_CANCELLED = "booking.cancelled"
    CASE_OPENED = "case.opened"
    CASE_CHANGED = "case.changed"


class EventClient(Command):
    """Who booked: found by identity number, then e-mail, or made (R-BKG-3)."""

    name: Text
    email: EmailAddress | None = None
    identity_number: IdentityNumberText | None = None


Minutes = Annotated[int, Field(ge=SLOT_MINUTES, le=LONGEST_APPOINTMENT_MINUTES), WHOLE]


class EventBooking(Command):
    booking_id: EventId  # the partner's id of the booking: it is the same booking in every later event
    practitioner_id: Identifier
    case_id: CaseId | None = None  # booking.created: the insurer case (series) it belongs to
    starts_at: Moment | None = None  # booking.created, booking.moved
    minutes: Minutes | None = None


class EventAddress(Command):
    street: Text
    postcode: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]
    city: Text


class EventInsurer(Command):
    insurer_id: Identifier
    name: Text
    organisation_number: Annotated[str, StringConstraints(pattern=r"^[0-9]{9}$")]
    vat_number: Annotated[str, StringConstraints(pattern=r"^NO[0-9]{9}MVA$")] | None = None
    address: EventAddress


class EventService(Command):
    code: Identifier
    name: Text
    minutes: Minutes
    price_ore: Annotated[int, Field(ge=0, le=100_000_000), WHOLE]
    vat_percent: Annotated[int, Field(ge=0, le=25), WHOLE] = 0


class EventCase(Command):
    case_id: CaseId
    practitioner_id: Identifier
    insurer: EventInsurer
    service: EventService
    max_appointments: Annotated[int, Field(ge=1, le=1000), WHOLE]
    status: Annotated[CaseStatus, Field(strict=False)] = CaseStatus.OPEN


NEEDS: dict[EventType, tuple[str, ...]] = {
    EventType.BOOKING_CREATED: ("booking", "booking.case_id", "booking.starts_at", "client"),
    EventType.BOOKING_MOVED: ("booking", "booking.starts_at"),
    EventType.BOOKING_CANCELLED: ("booking",),
    EventType.CASE_OPENED: ("case",),
    EventType.CASE_CHANGED: ("case",),
}


class PartnerEvent(Command):
    """One event of a partner (docs/bookings.md). `event_id` is the partner's and makes a delivery once."""

    event_id: EventId
    type: Literal[
        "booking.created", "booking.moved", "booking.cancelled", "case.opened", "case.changed"
    ]  # EventType's values, spelled out for the document
    occurred_at: Moment
    booking: EventBooking | None = None
    client: EventClient | None = None
    case: EventCase | None = None

    @model_validator(mode="after")
    def _has_its_parts(self) -> PartnerEvent:
        for needed in NEEDS[EventType(self.type)]:
            part, _, inner = needed.partition(".")
            value: Any = getattr(self, part)
            if value is None or (inner and getattr(value, inner) is None):
                raise InvalidRequest(EVENT_NEEDS_PART, field=needed, type=self.type)
        return self


class EventStatus(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    PARKED = "parked"  # for operations: an unknown practitioner or case, a time already taken


class InboundEvent(Model):
    """An event as kept, before anything else happens to it. The client's identity number is not kept: only its
    keyed hash and masked form, made as it arrives."""

    model_config = ConfigDict(extra="forbid")

    partner_id: str
    event_id: str
    type: EventType
    body_hash: str  # SHA-256 of the event as validated: the same id with another body is refused
    event: dict[str, Any]
    identity_hash: str | None = None
    identity_masked: str | None = None
    received_at: datetime
    status: EventStatus = EventStatus.RECEIVED
    parked_reason: str | None = None
    attempts: int = 0

    def same_as(self, other: InboundEvent) -> None:
        if self.body_hash != other.body_hash:
            raise InvalidRequest(EVENT_ID_REUSED, field="event_id")
