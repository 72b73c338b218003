"""Booking by hand over in-memory fakes (R-BKG-4, R-BKG-5, R-BKG-6): the series chosen or opened by case id and
refused when full before anything is saved, one booking per request key, the client's invitation staged with the
booking and carrying a calendar file in Norwegian time, the calendar's entries with their client and series."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from chalicelib.bookings.calendar_file import invitation, uid_of
from chalicelib.bookings.commands import ManualBooking, MoveBooking
from chalicelib.bookings.services import booking_id_for
from chalicelib.shared.errors import InvalidRequest, NotFound
from local.practice import OTHER_PRACTITIONER, PRACTITIONER

from .conftest import Practice

PIA = PRACTITIONER.practitioner_id
OSLO = ZoneInfo("Europe/Oslo")


def by_hand(practice: Practice, client_id: str, key: str = "a-request-key-0001", **fields: object) -> ManualBooking:
    return ManualBooking.model_validate(
        {"client_id": client_id, "starts_at": "2026-12-07T09:00:00+01:00", "request_key": key, **fields},
        strict=False,
    )


def test_r_bkg_5_a_series_is_opened_by_its_case_id_and_sets_the_insurer_as_recipient(practice: Practice):
    client = practice.client(email="kari@example.org")
    series = practice.bookings.series_to_book(PIA, client.client_id, None, "SAK-2026-1001")
    assert series.invoice_recipient.name == "Trygg Forsikring ASA" and series.billing.value == "ehf"
    assert practice.bookings.open_series(PIA, client.client_id) == [series]
    with pytest.raises(InvalidRequest) as refused:
        practice.bookings.series_to_book(PIA, client.client_id, None, None)
    assert refused.value.field == "series_id"


def test_r_bkg_4_a_full_series_is_refused_by_hand_before_anything_is_saved(practice: Practice):
    client = practice.client(email="kari@example.org")
    practice.bookings.book_by_hand(PIA, by_hand(practice, client.client_id, case_id="SAK-2026-1002"))
    practice.bookings.book_by_hand(
        PIA,
        by_hand(
            practice,
            client.client_id,
            "a-request-key-0002",
            series_id="SAK-2026-1002",
            starts_at="2026-12-08T09:00:00+01:00",
        ),
    )
    with pytest.raises(InvalidRequest) as refused:
        practice.bookings.series_to_book(PIA, client.client_id, "SAK-2026-1002", None)
    assert refused.value.field == "series_id" and refused.value.params == {"maximum": 2}
    assert len(practice.records.bookings) == 2


def test_r_bkg_5_the_same_request_key_books_once(practice: Practice):
    client = practice.client(email="kari@example.org")
    command = by_hand(practice, client.client_id, case_id="SAK-2026-1001")
    first = practice.bookings.book_by_hand(PIA, command)
    assert practice.bookings.book_by_hand(PIA, command) == first
    assert first.booking_id == booking_id_for(PIA, command.request_key)
    series = practice.records.series("SAK-2026-1001")
    assert series is not None and series.used == 1


def test_r_bkg_5_the_invitation_is_staged_with_the_booking_and_carries_a_calendar_file(practice: Practice):
    client = practice.client(email="kari@example.org")
    booking = practice.bookings.book_by_hand(
        PIA, by_hand(practice, client.client_id, case_id="SAK-2026-1001", invite=True)
    )
    (mail,) = [m for m in practice.outbox.messages.values() if m.payload["template"] == "booking_invitation"]
    assert mail.payload["to"] == "kari@example.org" and mail.payload["language"] == "nb"
    assert mail.payload["context"]["booking"]["time"] == "09:00"
    (attachment,) = mail.payload["attachments"]
    calendar = icalendar.Calendar.from_ical(attachment["content"])
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == datetime(2026, 12, 7, 9, 0, tzinfo=OSLO)
    assert str(event["uid"]) == uid_of(booking)
    assert [str(zone["tzid"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Oslo"]


def test_r_bkg_5_a_client_without_an_email_cannot_be_invited(practice: Practice):
    client = practice.client(identity_number="15089012357")
    with pytest.raises(InvalidRequest) as refused:
        practice.bookings.book_by_hand(PIA, by_hand(practice, client.client_id, case_id="SAK-2026-1001", invite=True))
    assert refused.value.field == "invite"
    assert practice.records.bookings == {}


def test_the_calendar_file_is_the_same_for_the_same_booking_and_keeps_its_uid_when_moved(practice: Practice):
    client = practice.client(email="kari@example.org")
    booking = practice.bookings.book_by_hand(PIA, by_hand(practice, client.client_id, case_id="SAK-2026-1001"))
    assert invitation(booking, PRACTITIONER) == invitation(booking, PRACTITIONER)
    moved = booking.moved(booking.starts_at + timedelta(days=1), booking.minutes, practice.clock())
    later = icalendar.Calendar.from_ical(invitation(moved, PRACTITIONER))
    (event,) = later.walk("VEVENT")
    assert str(event["uid"]) == uid_of(booking) and event.decoded("sequence") == 1


def test_r_bkg_6_the_calendar_entries_hold_the_client_and_the_series_and_only_the_practitioners(practice: Practice):
    client = practice.client(email="kari@example.org")
    practice.bookings.book_by_hand(PIA, by_hand(practice, client.client_id, case_id="SAK-2026-1001"))
    (entry,) = practice.bookings.calendar_entries(PIA, date(2026, 12, 7))
    assert entry.client == client and entry.series is not None and entry.series.left == 5
    practice.records.put_practitioner(OTHER_PRACTITIONER)
    assert practice.bookings.calendar_entries(OTHER_PRACTITIONER.practitioner_id, date(2026, 12, 7)) == []
    with pytest.raises(NotFound):
        practice.bookings.booking(OTHER_PRACTITIONER.practitioner_id, entry.booking.booking_id)


def test_a_moved_appointments_mail_carries_its_new_calendar_file_under_the_same_uid(practice: Practice):
    client = practice.client(email="kari@example.org")
    booking = practice.bookings.book_by_hand(PIA, by_hand(practice, client.client_id, case_id="SAK-2026-1001"))
    moved = practice.bookings.move(
        PIA, booking.booking_id, MoveBooking.model_validate({"starts_at": "2026-12-08T10:00:00+01:00"}, strict=False)
    )
    (mail,) = [
        m
        for m in practice.outbox.messages.values()
        if m.payload["template"] == "booking_moved" and m.payload["to"] == "kari@example.org"
    ]
    (event,) = icalendar.Calendar.from_ical(mail.payload["attachments"][0]["content"]).walk("VEVENT")
    assert str(event["uid"]) == uid_of(booking) and event.decoded("dtstart") == moved.starts_at.astimezone(OSLO)
