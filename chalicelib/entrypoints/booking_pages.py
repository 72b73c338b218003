"""Bookings in the portal (Flow 4): a practitioner's calendar by day and by week, with moving, cancelling and
marking attended, and booking by hand (R-BKG-5): the client found or created, the series of an insurer case,
the time in Norwegian time, the invoice recipient and EHF billing shown before saving.

A practitioner is the person of the same user id (local/practice.py); they see only their own clients and
bookings: another practitioner's is not found."""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any

from chalice.app import Blueprint, Response
from pydantic import ValidationError

from chalicelib.bookings.commands import ManualBooking, MoveBooking, NewClient
from chalicelib.bookings.model import CALENDAR_ZONE, Booking, Client, Series
from chalicelib.bookings.reasons import BAD_CLOCK, BAD_DAY
from chalicelib.bookings.services import booking_id_for
from chalicelib.bootstrap import container
from chalicelib.entrypoints.contract import Access, Relation
from chalicelib.entrypoints.forms import checked, form_problems
from chalicelib.entrypoints.web import FORM, Visit, page
from chalicelib.shared.errors import DomainError, InvalidRequest, NotFound
from chalicelib.shared.i18n import N_
from chalicelib.shared.identity import Role

booking_pages = Blueprint(__name__)

PRACTITIONER = Access(via="session", roles=frozenset({Role.PRACTITIONER}), rules="R-BKG-5")
# R-BKG-5: only the practitioner's own booking; another's is not found.
OWN_BOOKING = Access(via="session", roles=frozenset({Role.PRACTITIONER}), relation=Relation.PARTY, rules="R-BKG-5")

KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
LONGEST_RANGE_DAYS = 7

CLIENT_FIELDS = {("name",): "name", ("email",): "email", ("identity_number",): "identity_number"}
BOOKING_FIELDS = {("client_id",): "client_id", ("series_id",): "series_id", ("starts_at",): "date"}
MOVE_FIELDS = {("starts_at",): "date"}

FIELD_TEXTS = {
    "name": N_("Enter the client's name"),
    "email": N_("Enter an e-mail address, such as name@example.org"),
    "identity_number": N_("Enter the client's national identity number or D-number: eleven digits"),
    "date": N_("Enter the date and time of the appointment"),
}


def practitioner_of(visit: Visit) -> str:
    return visit.caller.person.user_id


# --- reading ---------------------------------------------------------------------------------------------


def day_of(text: str, field: str = "day") -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(BAD_DAY, field=field) from None


def local_time(day_text: str, clock_text: str) -> datetime:
    """A date and a time as the practitioner types them, in Norwegian time (Europe/Oslo)."""
    day = day_of(day_text, "date")
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", clock_text):
        raise InvalidRequest(BAD_CLOCK, field="time")
    return datetime.combine(day, time.fromisoformat(clock_text), CALENDAR_ZONE)


def shown_booking(booking: Booking, client: Client | None, series: Series | None) -> dict[str, Any]:
    """A booking as the calendar shows it: in Norwegian time, the client's identity number masked."""
    local = booking.starts_at.astimezone(CALENDAR_ZONE)
    return {
        "booking_id": booking.booking_id,
        "day": local.date().isoformat(),
        "date": local.strftime("%d.%m.%Y"),
        "time": local.strftime("%H:%M"),
        "ends": booking.ends_at.astimezone(CALENDAR_ZONE).strftime("%H:%M"),
        "minutes": booking.minutes,
        "service": booking.service.name,
        "status": booking.status.value,
        "source": booking.source.value,
        "over_limit": booking.over_limit,
        "client": shown_client(client) if client else None,
        "series": shown_series(series) if series else None,
    }


def shown_client(client: Client) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "name": client.name,
        "email": client.email or "",
        "identity_masked": client.identity_masked or "",
    }


def shown_series(series: Series) -> dict[str, Any]:
    """R-BKG-6: the series with the appointments used and left; R-BKG-4: who is invoiced, and how."""
    recipient = series.invoice_recipient
    return {
        "series_id": series.series_id,
        "service": series.service.name,
        "minutes": series.service.minutes,
        "used": series.used,
        "left": series.left,
        "maximum": series.max_appointments,
        "full": series.full,
        "status": series.status.value,
        "billing": series.billing.value,
        "recipient": {
            "name": recipient.name,
            "organisation_number": recipient.organisation_number,
            "peppol_id": recipient.peppol_id,
        },
    }


def calendar_of(practitioner_id: str, first: date, days: int) -> list[dict[str, Any]]:
    """Every booking of the range, by start: a range is never cut, a longer stretch is the next range."""
    return [
        shown_booking(entry.booking, entry.client, entry.series)
        for entry in container().bookings.calendar_entries(practitioner_id, first, days)
    ]


# --- the calendar ------------------------------------------------------------------------------------------


@booking_pages.route("/bookings")
@page(booking_pages, summary="The practitioner's calendar, by day or by week", access=PRACTITIONER)
def calendar_page(visit: Visit) -> Response:
    week = visit.query("view") == "week"
    today = datetime.now(CALENDAR_ZONE).date()
    first = day_of(visit.query("day")) if visit.query("day") else today
    if week:
        first -= timedelta(days=first.weekday())  # a Norwegian week starts on Monday
    days = LONGEST_RANGE_DAYS if week else 1
    bookings = calendar_of(practitioner_of(visit), first, days)
    view = "week" if week else "day"
    return visit.page(
        "bookings/calendar.html",
        view=view,
        first=first.isoformat(),
        last=(first + timedelta(days=days - 1)).isoformat(),
        days=[
            {"day": (first + timedelta(days=n)).isoformat(), "bookings": [b for b in bookings if b["day"] == d]}
            for n in range(days)
            for d in [(first + timedelta(days=n)).isoformat()]
        ],
        previous_url=f"/bookings?view={view}&day={(first - timedelta(days=days)).isoformat()}",
        next_url=f"/bookings?view={view}&day={(first + timedelta(days=days)).isoformat()}",
        other_view_url=f"/bookings?view={'day' if week else 'week'}&day={first.isoformat()}",
        booked_id=visit.query("booking"),
    )


def back_to(booking: Booking, notice: str) -> str:
    day = booking.starts_at.astimezone(CALENDAR_ZONE).date().isoformat()
    return f"/bookings?day={day}&notice={notice}&booking={booking.booking_id}"


@booking_pages.route("/bookings/{booking_id}/cancel", methods=["POST"], content_types=[FORM])
@page(booking_pages, summary="Cancel a booking: the series has its appointment back", access=OWN_BOOKING)
def cancel(visit: Visit) -> Response:
    booking = container().bookings.cancel(practitioner_of(visit), visit.path["booking_id"])
    return visit.redirect(back_to(booking, "booking_cancelled"))


@booking_pages.route("/bookings/{booking_id}/attended", methods=["POST"], content_types=[FORM])
@page(booking_pages, summary="Mark an appointment attended: its EHF invoice is made", access=OWN_BOOKING)
def attended(visit: Visit) -> Response:
    booking = container().bookings.mark_attended(practitioner_of(visit), visit.path["booking_id"])
    return visit.redirect(back_to(booking, "booking_attended"))


@booking_pages.route("/bookings/{booking_id}/move", methods=["POST"], content_types=[FORM])
@page(booking_pages, summary="Move a booking to another time", access=OWN_BOOKING)
def move(visit: Visit) -> Response:
    practitioner_id = practitioner_of(visit)
    booking_id = visit.path["booking_id"]
    try:
        starts_at = local_time(visit.field("date"), visit.field("time"))
        command = checked(MoveBooking, {"starts_at": starts_at.isoformat()})
        booking = container().bookings.move(practitioner_id, booking_id, command)
    except ValidationError as invalid:
        return move_refused(visit, form_problems(visit.texts, invalid, MOVE_FIELDS))
    except InvalidRequest as refusal:
        return move_refused(visit, [problem(visit, refusal)])
    return visit.redirect(back_to(booking, "booking_moved"))


def move_refused(visit: Visit, errors: list[dict[str, str]]) -> Response:
    """The calendar of the booking's day again, the reason beside the move's fields."""
    practitioner_id = practitioner_of(visit)
    booking = container().bookings.booking(practitioner_id, visit.path["booking_id"])
    first = booking.starts_at.astimezone(CALENDAR_ZONE).date()
    return visit.page(
        "bookings/calendar.html",
        400,
        view="day",
        first=first.isoformat(),
        last=first.isoformat(),
        days=[{"day": first.isoformat(), "bookings": calendar_of(practitioner_id, first, 1)}],
        previous_url=f"/bookings?view=day&day={(first - timedelta(days=1)).isoformat()}",
        next_url=f"/bookings?view=day&day={(first + timedelta(days=1)).isoformat()}",
        other_view_url=f"/bookings?view=week&day={first.isoformat()}",
        errors=[{**error, "field": f"{error['field']}-{booking.booking_id}"} for error in errors],
        booked_id=booking.booking_id,
    )


def problem(visit: Visit, refusal: DomainError) -> dict[str, str]:
    field = {"starts_at": "date", "booking_id": "date", "case_id": "case_id"}.get(refusal.field or "", refusal.field)
    return {"field": field or "", "message": visit.texts.refusal(refusal.reason, refusal.params)}


def field_problems(visit: Visit, invalid: ValidationError, fields: dict[tuple[Any, ...], str]) -> list[dict[str, str]]:
    return [
        {**error, "message": visit.texts.gettext(FIELD_TEXTS[error["field"]])}
        if error["field"] in FIELD_TEXTS
        else error
        for error in form_problems(visit.texts, invalid, fields)
    ]


# --- booking by hand (R-BKG-5) ---------------------------------------------------------------------------


@booking_pages.route("/bookings/new")
@page(booking_pages, summary="Book by hand: the client first", access=PRACTITIONER)
def new_booking(visit: Visit) -> Response:
    client_id = visit.query("client_id")
    if not client_id:
        return visit.page("bookings/client.html", typed={}, errors=[])
    return booking_form(visit, container().bookings.client(practitioner_of(visit), client_id), {}, [])


@booking_pages.route("/bookings/new/client", methods=["POST"], content_types=[FORM])
@page(booking_pages, summary="Find the client by identity number or e-mail, or create them", access=PRACTITIONER)
def choose_client(visit: Visit) -> Response:
    typed = {name: visit.field(name).strip() for name in ("name", "email", "identity_number")}
    fields = {
        "name": typed["name"],
        "email": typed["email"] or None,
        "identity_number": typed["identity_number"] or None,
    }
    try:
        client = container().bookings.client_for(practitioner_of(visit), checked(NewClient, fields))
    except ValidationError as invalid:
        return visit.page(
            "bookings/client.html", 400, typed=typed, errors=field_problems(visit, invalid, CLIENT_FIELDS)
        )
    except InvalidRequest as refusal:
        return visit.page("bookings/client.html", 400, typed=typed, errors=[problem(visit, refusal)])
    return visit.redirect(f"/bookings/new?client_id={client.client_id}")


def booking_form(
    visit: Visit, client: Client, typed: dict[str, str], errors: list[dict[str, str]], status: int = 200
) -> Response:
    """R-BKG-5: the client's open series first; or a case id to look up."""
    series = container().bookings.open_series(practitioner_of(visit), client.client_id)
    return visit.page(
        "bookings/booking_form.html",
        status,
        client=shown_client(client),
        series=[shown_series(one) for one in series],
        typed=typed,
        errors=errors,
    )


def typed_booking(visit: Visit) -> dict[str, str]:
    return {
        name: visit.field(name).strip()
        for name in ("client_id", "series_id", "case_id", "date", "time", "invite", "idempotency_key")
    }


def chosen(visit: Visit, typed: dict[str, str], key: str) -> tuple[Client, Series, ManualBooking]:
    """The client, the series (opened from its case when looked up by case id) and the appointment typed."""
    practitioner_id = practitioner_of(visit)
    service = container().bookings
    client = service.client(practitioner_id, typed["client_id"])
    starts_at = local_time(typed["date"], typed["time"])
    series = service.series_to_book(
        practitioner_id, client.client_id, typed["series_id"] or None, typed["case_id"] or None
    )
    command = checked(
        ManualBooking,
        {
            "client_id": client.client_id,
            "series_id": series.series_id,
            "starts_at": starts_at.isoformat(),
            "invite": typed["invite"] == "yes",
            "request_key": key,
        },
    )
    return client, series, command


def request_key(typed: dict[str, str]) -> str:
    return typed["idempotency_key"] if KEY.fullmatch(typed["idempotency_key"]) else secrets.token_urlsafe(18)


@booking_pages.route("/bookings/new/check", methods=["POST"], content_types=[FORM])
@page(booking_pages, summary="Check the booking: the invoice recipient and EHF billing", access=PRACTITIONER)
def check(visit: Visit) -> Response:
    typed = typed_booking(visit)
    if not typed["client_id"]:
        return visit.redirect("/bookings/new")  # the client first
    client = container().bookings.client(practitioner_of(visit), typed["client_id"])
    key = request_key(typed)
    try:
        client, series, command = chosen(visit, typed, key)
    except ValidationError as invalid:
        return booking_form(visit, client, typed, field_problems(visit, invalid, BOOKING_FIELDS), 400)
    except InvalidRequest as refusal:
        return booking_form(visit, client, typed, [problem(visit, refusal)], 400)
    local = command.starts_at.astimezone(CALENDAR_ZONE)
    return visit.page(
        "bookings/booking_check.html",
        client=shown_client(client),
        series=shown_series(series),
        typed={**typed, "series_id": series.series_id, "case_id": ""},
        when={"date": local.strftime("%d.%m.%Y"), "time": local.strftime("%H:%M"), "zone": "Europe/Oslo"},
        idempotency_key=key,
    )


@booking_pages.route("/bookings/new/submit", methods=["POST"], content_types=[FORM])
@page(booking_pages, summary="Save the checked booking, and invite the client if asked", access=PRACTITIONER)
def submit(visit: Visit) -> Response:
    practitioner_id = practitioner_of(visit)
    typed = typed_booking(visit)
    if not typed["client_id"]:
        return visit.redirect("/bookings/new")  # the client first
    client = container().bookings.client(practitioner_id, typed["client_id"])
    key = request_key(typed)
    try:
        if (stored := booked_already(practitioner_id, key)) is not None:
            return visit.redirect(back_to(stored, "booking_saved"))  # submitted twice: booked once
        _, _, command = chosen(visit, typed, key)
        booking = container().bookings.book_by_hand(practitioner_id, command)
    except ValidationError as invalid:
        return booking_form(visit, client, typed, field_problems(visit, invalid, BOOKING_FIELDS), 400)
    except InvalidRequest as refusal:
        return booking_form(visit, client, typed, [problem(visit, refusal)], 422)
    return visit.redirect(back_to(booking, "booking_invited" if command.invite else "booking_saved"))


def booked_already(practitioner_id: str, key: str) -> Booking | None:
    try:
        return container().bookings.booking(practitioner_id, booking_id_for(practitioner_id, key))
    except NotFound:
        return None
