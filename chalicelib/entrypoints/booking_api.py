"""Booking by hand through the JSON API (R-BKG-5), for a practitioner's own programs: find or create a client,
see their open series or open one from an insurer case, book, and read the calendar. The same services as the
portal's pages; a practitioner reaches only their own clients and bookings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from chalice.app import Blueprint, Response
from pydantic import ConfigDict, Field, StringConstraints

from chalicelib.bookings.commands import ManualBooking, NewClient, OpenCaseSeries
from chalicelib.bookings.model import CALENDAR_ZONE, Booking, Client, Series
from chalicelib.bookings.reasons import BAD_DAY
from chalicelib.bootstrap import container
from chalicelib.entrypoints.auth import authorizer
from chalicelib.entrypoints.contract import Access, Call, Relation, Strict, operation, reply
from chalicelib.shared.deferred import Model
from chalicelib.shared.errors import InvalidRequest, NotAllowed, NotFound, Reason
from chalicelib.shared.identity import Role

booking_api = Blueprint(__name__)

PRACTITIONER = frozenset({Role.PRACTITIONER})
OWN = Access(roles=PRACTITIONER, relation=Relation.OWN, rules="R-BKG-5")
# Ours, as a path names them ("cl-" and hex digits).
ClientId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
DayText = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]
ONLY_PRACTITIONERS = Reason("bookings.only_practitioners", "Only a practitioner has a calendar and clients.")
OWN_CLIENT = Access(roles=PRACTITIONER, relation=Relation.PARTY, rules="R-BKG-5")


class ClientView(Strict):
    client_id: str
    name: str
    email: str | None
    identity_masked: str | None  # the identity number itself is never shown


class InvoiceRecipient(Strict):
    name: str
    organisation_number: str
    peppol_id: str


class SeriesView(Strict):
    """R-BKG-6: the appointments used and left; R-BKG-4: the insurer invoiced by EHF."""

    series_id: str
    client_id: str
    service: str
    minutes: int
    max_appointments: int
    used: int
    left: int
    status: str
    billing: str
    invoice_recipient: InvoiceRecipient


class SeriesList(Strict):
    series: list[SeriesView]


class BookingView(Strict):
    booking_id: str
    client_id: str
    series_id: str | None
    service: str
    starts_at: datetime
    minutes: int
    status: str
    source: str
    over_limit: bool  # R-BKG-4: an inbound booking beyond its series' maximum


class CalendarView(Strict):
    first_day: date
    days: int
    bookings: list[BookingView]


class CalendarQuery(Model):
    model_config = ConfigDict(extra="forbid")

    day: DayText | None = None  # none: today, in Norway
    days: int = Field(default=1, ge=1, le=7)  # a day, or a week: a longer stretch is asked for in steps


def client_view(client: Client) -> ClientView:
    return ClientView(
        client_id=client.client_id, name=client.name, email=client.email, identity_masked=client.identity_masked
    )


def series_view(series: Series) -> SeriesView:
    recipient = series.invoice_recipient
    return SeriesView(
        series_id=series.series_id,
        client_id=series.client_id,
        service=series.service.name,
        minutes=series.service.minutes,
        max_appointments=series.max_appointments,
        used=series.used,
        left=series.left,
        status=series.status.value,
        billing=series.billing.value,
        invoice_recipient=InvoiceRecipient(
            name=recipient.name, organisation_number=recipient.organisation_number, peppol_id=recipient.peppol_id
        ),
    )


def booking_view(booking: Booking) -> BookingView:
    return BookingView(
        booking_id=booking.booking_id,
        client_id=booking.client_id,
        series_id=booking.series_id,
        service=booking.service.name,
        starts_at=booking.starts_at,
        minutes=booking.minutes,
        status=booking.status.value,
        source=booking.source.value,
        over_limit=booking.over_limit,
    )


def practitioner_of(call: Call[Any]) -> str:
    """The practitioner calling: only a practitioner books (the pages' declaration checks it for them)."""
    person = call.caller.person
    if Role.PRACTITIONER not in person.roles:
        raise NotAllowed(ONLY_PRACTITIONERS)
    return person.user_id


@booking_api.route("/api/practice/clients", methods=["POST"], authorizer=authorizer)
@operation(
    booking_api,
    summary="Find the practitioner's client by identity number or e-mail, or create them",
    description="R-BKG-3: never two of the same client; the identity number is kept hashed and shown masked.",
    access=OWN,
    body=NewClient,
    responses={200: ClientView},
    refusals=(InvalidRequest, NotAllowed, NotFound),
    tag="bookings",
)
def find_or_create_client(call: Call[NewClient]) -> Response:
    return reply(client_view(container().bookings.client_for(practitioner_of(call), call.body)))


@booking_api.route("/api/practice/clients/{client_id}/series", methods=["GET"], authorizer=authorizer)
@operation(
    booking_api,
    summary="The client's open series, each with the appointments used and left",
    access=OWN_CLIENT,
    path={"client_id": ClientId},
    responses={200: SeriesList},
    refusals=(NotAllowed, NotFound),
    tag="bookings",
)
def open_series(call: Call[None]) -> Response:
    found = container().bookings.open_series(practitioner_of(call), call.path["client_id"])
    return reply(SeriesList(series=[series_view(series) for series in found]))


@booking_api.route("/api/practice/series", methods=["POST"], authorizer=authorizer)
@operation(
    booking_api,
    summary="The series of an insurer case for a client, opened from the case the first time",
    description="R-BKG-4: the case sets the insurer as invoice recipient, EHF billing, the service, the maximum.",
    access=OWN,
    body=OpenCaseSeries,
    responses={200: SeriesView},
    refusals=(InvalidRequest, NotAllowed, NotFound),
    tag="bookings",
)
def series_of_case(call: Call[OpenCaseSeries]) -> Response:
    series = container().bookings.series_for_case(practitioner_of(call), call.body.client_id, call.body.case_id)
    return reply(series_view(series))


@booking_api.route("/api/practice/bookings", methods=["POST"], authorizer=authorizer)
@operation(
    booking_api,
    summary="Book an appointment by hand in one of the client's series, or in an insurer case's series",
    description=(
        "R-BKG-5. Beyond the series' maximum is refused, naming series_id (R-BKG-4). The same request_key books "
        "once. With invite, the client is e-mailed the appointment with a calendar file."
    ),
    access=OWN,
    body=ManualBooking,
    responses={201: BookingView},
    refusals=(InvalidRequest, NotAllowed, NotFound),
    tag="bookings",
)
def book(call: Call[ManualBooking]) -> Response:
    return reply(booking_view(container().bookings.book_by_hand(practitioner_of(call), call.body)), 201)


@booking_api.route("/api/practice/calendar", methods=["GET"], authorizer=authorizer)
@operation(
    booking_api,
    summary="The practitioner's bookings of a day or up to a week, by start, in Norwegian days",
    access=OWN,
    query=CalendarQuery,
    responses={200: CalendarView},
    refusals=(InvalidRequest, NotAllowed, NotFound),
    tag="bookings",
)
def calendar(call: Call[None]) -> Response:
    query: CalendarQuery = call.query
    try:
        first = date.fromisoformat(query.day) if query.day else datetime.now(CALENDAR_ZONE).date()
    except ValueError:
        raise InvalidRequest(BAD_DAY, field="day") from None
    found = container().bookings.calendar(practitioner_of(call), first, query.days)
    return reply(CalendarView(first_day=first, days=query.days, bookings=[booking_view(b) for b in found]))
