"""Booking by hand and the calendar through the portal's pages and the JSON API, on the embedded AWS (R-BKG-4,
R-BKG-5, R-BKG-6): a client found or created, a series opened by its case id, the invoice recipient shown before
saving, the series' limit kept by hand, a double submit booked once, the client invited with a calendar file in
Norwegian time, moving and cancelling giving the series its appointment back, another practitioner refused."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

from chalicelib.bookings.commands import BookAppointment
from chalicelib.bookings.model import BookingSource
from chalicelib.bootstrap import container
from local.embedded_aws import EmbeddedAws
from local.people import OverHttp, Page, Person, Visitor
from local.practice import CLIENT_D_NUMBER, PRACTITIONER, case

PIA = PRACTITIONER.practitioner_id
OSLO = ZoneInfo("Europe/Oslo")
BOOKING = re.compile(r'id="booking-(?P<id>bk-[0-9a-f]{16})"')


@pytest.fixture
def pia(served: str) -> Visitor:
    return Visitor(served).sign_in(PIA)


def a_case(maximum: int = 6) -> str:
    insurer_case = case(f"SAK-{uuid.uuid4().hex[:10]}", maximum)
    transaction = container().adapters.transactions.begin()
    container().adapters.booking_records.put_case(transaction, insurer_case, None)
    transaction.commit()
    return insurer_case.case_id


_DAYS_TAKEN: set[date] = set()


def a_day(first: date = date(2036, 1, 7), span: int = 420) -> date:
    """A day of its own: the embedded calendar lasts the whole session, so no two tests here draw the same day,
    and none draws a day other tests book Pia on (partner events to 2028, the browser tests 2029-2030, the
    authorization matrix 2030-2035, the records' tests 2031-2032)."""
    while True:
        day = first + timedelta(days=uuid.uuid4().int % span)
        if day not in _DAYS_TAKEN:
            _DAYS_TAKEN.add(day)
            return day


def a_client(visitor: Visitor, **typed: str) -> str:
    """The client's id, found or created on the first step of booking by hand."""
    number = uuid.uuid4().hex[:8]
    visitor.get("/bookings/new")
    answer = visitor.submit(
        "/bookings/new/client", {"name": f"Kari Nordmann {number}", "email": f"kari.{number}@example.org", **typed}
    )
    assert answer.status == 303, answer.html
    found = re.search(r"client_id=(?P<id>[A-Za-z0-9-]+)", answer.location or "")
    assert found is not None
    return found["id"]


def checked(visitor: Visitor, client_id: str, **typed: str) -> Page:
    visitor.get(f"/bookings/new?client_id={client_id}")
    return visitor.submit("/bookings/new/check", {"client_id": client_id, "time": "09:00", **typed})


def saved(visitor: Visitor, check: Page) -> Page:
    """Submits the check page's form as it stands."""
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', check.html))
    return visitor.submit("/bookings/new/submit", {k: v for k, v in fields.items() if k != "csrf"})


def booked(day: date) -> list[Any]:
    return container().bookings.calendar(PIA, day)


def test_r_bkg_5_a_booking_by_hand_opens_the_series_by_case_id_and_shows_the_insurer_before_saving(pia: Visitor):
    client_id = a_client(pia, identity_number=CLIENT_D_NUMBER[:6] + " " + CLIENT_D_NUMBER[6:])
    case_id, day = a_case(), a_day()
    check = checked(pia, client_id, case_id=case_id, date=day.isoformat())
    assert check.status == 200, check.html
    assert "Trygg Forsikring ASA" in check.html and "995568217" in check.html  # R-BKG-4: the invoice recipient
    assert "EHF" in check.html and "Europe/Oslo" in check.html
    assert "•••••••••93" in check.html and CLIENT_D_NUMBER not in check.html  # masked, never shown whole
    answer = saved(pia, check)
    assert answer.status == 303, answer.html
    again = saved(pia, check)  # a double submit
    assert again.status == 303 and again.location == answer.location
    (booking,) = booked(day)
    assert booking.series_id == case_id and booking.starts_at == datetime.combine(
        day, datetime.min.time().replace(hour=9), OSLO
    )
    series = container().adapters.booking_records.series(case_id)
    assert series is not None and series.used == 1 and series.client_id == client_id
    calendar = pia.get(answer.location or "")
    assert calendar.status == 200 and booking.booking_id in calendar.html
    assert "1 of 6 appointments used, 5 left" in calendar.html or "1 av 6" in calendar.html
    # The client's open series are offered first next time (R-BKG-5).
    assert case_id in pia.get(f"/bookings/new?client_id={client_id}").html


def test_r_bkg_4_a_booking_by_hand_beyond_the_series_maximum_is_refused_on_the_series_field(pia: Visitor):
    client_id, case_id, day = a_client(pia), a_case(maximum=1), a_day()
    assert saved(pia, checked(pia, client_id, case_id=case_id, date=day.isoformat())).status == 303
    refused = checked(pia, client_id, series_id=case_id, date=day.isoformat(), time="11:00")
    assert refused.status == 400
    assert 'href="#series_id"' in refused.html and "1" in refused.html
    assert len(booked(day)) == 1


def test_r_bkg_5_the_invited_client_gets_a_calendar_file_in_norwegian_time(pia: Visitor, aws: EmbeddedAws):
    client_id, case_id, day = a_client(pia), a_case(), a_day(date(2028, 7, 3), 60)
    email = container().bookings.client(PIA, client_id).email
    assert email is not None
    check = checked(pia, client_id, case_id=case_id, date=day.isoformat(), time="14:30", invite="yes")
    assert saved(pia, check).status == 303
    (mail,) = aws.emails_to(email, "14:30")
    assert "Fysio Pia AS" in mail["body"]
    (attachment,) = mail["attachments"]
    assert attachment["content_type"] == "text/calendar" and attachment["filename"].endswith(".ics")
    calendar = icalendar.Calendar.from_ical(attachment["content"])
    (zone,) = calendar.walk("VTIMEZONE")
    (event,) = calendar.walk("VEVENT")
    start = event.decoded("dtstart")
    assert str(zone["tzid"]) == "Europe/Oslo" and event["dtstart"].params["TZID"] == "Europe/Oslo"
    assert (start.hour, start.minute) == (14, 30) and start.utcoffset() == timedelta(hours=2)  # summer time
    (booking,) = booked(day)
    assert str(event["uid"]).startswith(booking.booking_id)


def test_moving_and_cancelling_from_the_calendar_gives_the_series_its_appointment_back(pia: Visitor, aws: EmbeddedAws):
    client_id, case_id, day = a_client(pia), a_case(maximum=2), a_day()
    assert saved(pia, checked(pia, client_id, case_id=case_id, date=day.isoformat())).status == 303
    (booking,) = booked(day)
    pia.get(f"/bookings?day={day.isoformat()}")
    moved = pia.submit(f"/bookings/{booking.booking_id}/move", {"date": day.isoformat(), "time": "13:05"})
    assert moved.status == 303
    (after,) = booked(day)
    assert after.starts_at.astimezone(OSLO).strftime("%H:%M") == "13:05"
    series = container().adapters.booking_records.series(case_id)
    assert series is not None and series.used == 1
    email = container().bookings.client(PIA, client_id).email
    assert email is not None and aws.emails_to(email, "flytt") + aws.emails_to(email, "moved")
    pia.get(f"/bookings?day={day.isoformat()}")
    assert pia.submit(f"/bookings/{booking.booking_id}/cancel").status == 303
    assert booked(day) == []
    series = container().adapters.booking_records.series(case_id)
    assert series is not None and series.used == 0
    assert aws.emails_to(PRACTITIONER.email, "avlys") + aws.emails_to(PRACTITIONER.email, "cancel")


def test_marking_attended_says_the_ehf_invoice_was_made(pia: Visitor):
    client_id, case_id = a_client(pia), a_case()
    day = datetime.now(OSLO).date() - timedelta(days=1 + uuid.uuid4().int % 300)
    assert saved(pia, checked(pia, client_id, case_id=case_id, date=day.isoformat())).status == 303
    (booking,) = booked(day)
    pia.get(f"/bookings?day={day.isoformat()}")
    answer = pia.submit(f"/bookings/{booking.booking_id}/attended")
    assert answer.status == 303
    page = pia.get(answer.location or "")
    assert 'id="invoice-made"' in page.html and "Trygg Forsikring ASA" in page.html


def test_r_bkg_5_another_practitioners_client_and_booking_are_not_found(served: str, pia: Visitor):
    client_id, case_id, day = a_client(pia), a_case(), a_day()
    assert saved(pia, checked(pia, client_id, case_id=case_id, date=day.isoformat())).status == 303
    (booking,) = booked(day)
    ola = Visitor(served).sign_in("ola.practitioner")
    assert ola.get(f"/bookings/new?client_id={client_id}").status == 404
    assert ola.get(f"/bookings?day={day.isoformat()}").status == 200 and booking.booking_id not in ola.last.html  # type: ignore[union-attr]
    assert ola.submit(f"/bookings/{booking.booking_id}/cancel").status == 404
    refused = ola.submit(
        "/bookings/new/check", {"client_id": client_id, "case_id": case_id, "date": day.isoformat(), "time": "10:00"}
    )
    assert refused.status == 404
    assert booked(day)[0].status.value == "booked"


def test_r_bkg_5_the_api_books_by_hand_once_per_request_key_and_refuses_another_practitioners_client(
    served: str, aws: EmbeddedAws
):
    api = Person(PIA, OverHttp(served), aws).sign_in()
    client = api.post("/api/practice/clients", {"name": "Per Hansen", "identity_number": "15089012357"})
    assert client.status == 200 and client.body["identity_masked"] == "•••••••••57"
    case_id, day = a_case(maximum=1), a_day()
    starts_at = datetime.combine(day, datetime.min.time().replace(hour=8), OSLO).isoformat()
    body = {
        "client_id": client.body["client_id"],
        "case_id": case_id,
        "starts_at": starts_at,
        "request_key": uuid.uuid4().hex,
    }
    first, second = api.post("/api/practice/bookings", body), api.post("/api/practice/bookings", body)
    assert first.status == second.status == 201 and first.body["booking_id"] == second.body["booking_id"]
    full = api.post(
        "/api/practice/bookings", {**body, "request_key": uuid.uuid4().hex, "case_id": None, "series_id": case_id}
    )
    assert full.status == 422 and full.body["errors"][0]["field"] == "series_id"
    series = api.get(f"/api/practice/clients/{client.body['client_id']}/series")
    assert series.status == 200 and series.body["series"][0]["left"] == 0
    shown = api.get(f"/api/practice/calendar?day={day.isoformat()}")
    assert [b["booking_id"] for b in shown.body["bookings"]] == [first.body["booking_id"]]
    ola = Person("ola.practitioner", OverHttp(served), aws).sign_in()
    assert ola.get(f"/api/practice/clients/{client.body['client_id']}/series").status == 404
    assert ola.post("/api/practice/bookings", {**body, "request_key": uuid.uuid4().hex}).status == 404
    assert datetime.fromisoformat(first.body["starts_at"]).astimezone(OSLO).hour == 8


def test_r_bkg_4_an_inbound_booking_beyond_the_maximum_is_flagged_in_the_calendar(pia: Visitor):
    client_id, case_id, day = a_client(pia), a_case(maximum=1), a_day()
    assert saved(pia, checked(pia, client_id, case_id=case_id, date=day.isoformat())).status == 303
    beyond = container().bookings.book(
        PIA,
        BookAppointment(
            client_id=client_id,
            series_id=case_id,
            starts_at=datetime.combine(day, datetime.min.time().replace(hour=15), OSLO),
        ),
        BookingSource.INBOUND,
    )
    assert beyond.over_limit
    week = pia.get(f"/bookings?view=week&day={day.isoformat()}")
    assert week.status == 200
    shown = week.html.split(f'id="booking-{beyond.booking_id}"', 1)[1].split("</li>", 1)[0]
    assert 'class="flag"' in shown and "Utöver seriens maximum" in shown  # in the reader's language (Swedish)
    first = week.html.split(f'id="booking-{booked(day)[0].booking_id}"', 1)[1].split("</li>", 1)[0]
    assert 'class="flag"' not in first
