"""Bookings' rules over in-memory fakes (Flow 4, seed 004): clients never duplicated, series set by the insurer's
case (R-BKG-4, R-BKG-6), bookings by hand and inbound (R-BKG-1, R-BKG-5), a practitioner's time held once."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from chalicelib.bookings.commands import BookAppointment, MoveBooking, NewClient
from chalicelib.bookings.model import BookingSource, BookingStatus, identity_number, masked_identity
from chalicelib.shared.errors import InvalidRequest, NotFound
from local.practice import CLIENT_D_NUMBER, CLIENT_IDENTITY_NUMBER, INSURER, OTHER_PRACTITIONER, PRACTITIONER
from tests.fakes.world import World

from .conftest import Practice

PIA = PRACTITIONER.practitioner_id


# --- clients (R-BKG-3) ------------------------------------------------------------------------------------


def test_a_client_is_kept_with_a_keyed_hash_and_a_masked_identity_number_only(practice: Practice):
    client = practice.client(identity_number=CLIENT_IDENTITY_NUMBER)
    assert client.identity_masked == "•••••••••57"
    assert client.identity_hash and CLIENT_IDENTITY_NUMBER not in client.model_dump_json()


def test_a_d_number_is_an_identity_number_and_a_wrong_check_digit_is_refused_naming_the_field():
    assert identity_number(CLIENT_D_NUMBER) == CLIENT_D_NUMBER
    with pytest.raises(InvalidRequest) as refused:
        identity_number("15089012358")
    assert refused.value.field == "identity_number"
    assert masked_identity(CLIENT_D_NUMBER).endswith("93")


def test_r_bkg_3_the_same_identity_number_or_email_finds_the_client_never_a_second(practice: Practice):
    first = practice.client(identity_number=CLIENT_IDENTITY_NUMBER, email="kari@example.org")
    assert practice.client("Kari K.", identity_number=CLIENT_IDENTITY_NUMBER) == first
    assert practice.client("Kari", email="KARI@example.org") == first
    assert len(practice.records.clients) == 1


def test_r_bkg_3_clients_made_at_the_same_moment_are_one(practice: Practice):
    found = []

    def make() -> None:
        found.append(practice.client(identity_number=CLIENT_IDENTITY_NUMBER))

    threads = [threading.Thread(target=make) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({client.client_id for client in found}) == 1
    assert len(practice.records.clients) == 1


def test_a_client_needs_an_identity_number_or_an_email():
    with pytest.raises(InvalidRequest) as refused:
        NewClient.model_validate({"name": "Nobody"})
    assert refused.value.field == "identity_number"


def test_another_practitioners_client_is_not_found(practice: Practice):
    client = practice.client(email="kari@example.org")
    with pytest.raises(NotFound) as refused:
        practice.bookings.client(OTHER_PRACTITIONER.practitioner_id, client.client_id)
    assert refused.value.field == "client_id"
    with pytest.raises(NotFound):
        practice.bookings.series_for_case(OTHER_PRACTITIONER.practitioner_id, client.client_id, "SAK-2026-1001")
    other = practice.bookings.client_for(
        OTHER_PRACTITIONER.practitioner_id, NewClient(name="K", email="kari@example.org")
    )
    assert other.client_id != client.client_id  # each practitioner has their own clients


# --- series (R-BKG-4, R-BKG-6) ------------------------------------------------------------------------------


def test_r_bkg_4_a_case_id_sets_the_insurer_ehf_the_service_and_the_maximum(practice: Practice):
    client = practice.client(email="kari@example.org")
    series = practice.bookings.series_for_case(PIA, client.client_id, "SAK-2026-1001")
    assert series.series_id == "SAK-2026-1001"
    assert series.invoice_recipient == INSURER.party
    assert series.billing == "ehf"
    assert series.service.code == "fysio-45"
    assert (series.max_appointments, series.used, series.left) == (6, 0, 6)
    assert practice.bookings.series_for_case(PIA, client.client_id, "SAK-2026-1001") == series  # opened once
    assert practice.bookings.open_series(PIA, client.client_id) == [series]


def test_r_bkg_4_an_unknown_case_id_is_refused_naming_it(practice: Practice):
    client = practice.client(email="kari@example.org")
    with pytest.raises(NotFound) as refused:
        practice.bookings.series_for_case(PIA, client.client_id, "SAK-UNKNOWN")
    assert refused.value.field == "case_id"


def test_r_bkg_4_a_series_is_one_clients(practice: Practice):
    kari = practice.client(email="kari@example.org")
    nils = practice.client("Nils", email="nils@example.org")
    practice.bookings.series_for_case(PIA, kari.client_id, "SAK-2026-1001")
    with pytest.raises(InvalidRequest) as refused:
        practice.bookings.series_for_case(PIA, nils.client_id, "SAK-2026-1001")
    assert refused.value.field == "case_id"


def test_r_bkg_6_a_series_shows_its_appointments_used_and_left_above_its_bookings(practice: Practice):
    client = practice.client(email="kari@example.org")
    practice.bookings.series_for_case(PIA, client.client_id, "SAK-2026-1001")
    later = practice.book(client, "SAK-2026-1001", "2026-12-03T10:00:00+01:00")
    earlier = practice.book(client, "SAK-2026-1001", "2026-12-02T10:00:00+01:00")
    view = practice.bookings.series_view(PIA, "SAK-2026-1001")
    assert (view.series.used, view.series.left) == (2, 4)
    assert [booking.booking_id for booking in view.bookings] == [earlier.booking_id, later.booking_id]


# --- booking (R-BKG-1, R-BKG-4, R-BKG-5) -------------------------------------------------------------------


def test_r_bkg_5_a_booking_by_hand_takes_an_appointment_of_the_series(practice: Practice):
    client = practice.client(email="kari@example.org")
    practice.bookings.series_for_case(PIA, client.client_id, "SAK-2026-1001")
    booking = practice.book(client, "SAK-2026-1001", "2026-12-02T09:00:00+01:00")
    assert booking.minutes == 45  # the case's service
    assert booking.source is BookingSource.MANUAL and not booking.over_limit
    assert practice.records.series_by_id["SAK-2026-1001"].used == 1
    assert practice.mails() == []  # nobody is told of their own booking


def test_r_bkg_4_a_booking_by_hand_beyond_the_maximum_is_refused_with_the_reason(practice: Practice):
    client = practice.client(email="kari@example.org")
    practice.bookings.series_for_case(PIA, client.client_id, "SAK-2026-1002")  # two appointments
    practice.book(client, "SAK-2026-1002", "2026-12-02T09:00:00+01:00")
    practice.book(client, "SAK-2026-1002", "2026-12-03T09:00:00+01:00")
    with pytest.raises(InvalidRequest) as refused:
        practice.book(client, "SAK-2026-1002", "2026-12-04T09:00:00+01:00")
    assert refused.value.field == "series_id"
    assert "all 2 appointments" in refused.value.message
    assert practice.records.series_by_id["SAK-2026-1002"].used == 2


def test_r_bkg_4_an_inbound_booking_beyond_the_maximum_is_kept_and_flagged_for_the_practitioner(practice: Practice):
    client = practice.client(email="kari@example.org")
    practice.bookings.series_for_case(PIA, client.client_id, "SAK-2026-1002")
    practice.book(client, "SAK-2026-1002", "2026-12-02T09:00:00+01:00", BookingSource.INBOUND)
    practice.book(client, "SAK-2026-1002", "2026-12-03T09:00:00+01:00", BookingSource.INBOUND)
    beyond = practice.book(client, "SAK-2026-1002", "2026-12-04T09:00:00+01:00", BookingSource.INBOUND)
    assert beyond.over_limit
    series = practice.records.series_by_id["SAK-2026-1002"]
    assert (series.used, series.left) == (3, 0)
    # R-BKG-2: the practitioner is told of each inbound booking; the third mail says it goes beyond the case.
    received = [m for m in practice.outbox.messages.values() if m.payload["template"] == "booking_received"]
    assert [m.payload["to"] for m in received] == [PRACTITIONER.email] * 3
    assert received[-1].payload["context"]["booking"]["over_limit"] is True


def test_a_time_off_the_five_minute_marks_is_refused_naming_starts_at(practice: Practice):
    client = practice.client(email="kari@example.org")
    practice.bookings.series_for_case(PIA, client.client_id, "SAK-2026-1001")
    with pytest.raises(InvalidRequest) as refused:
        practice.book(client, "SAK-2026-1001", "2026-12-02T09:03:00+01:00")
    assert refused.value.field == "starts_at"
    assert practice.records.series_by_id["SAK-2026-1001"].used == 0


def test_an_overlapping_booking_is_refused_and_the_series_keeps_its_appointment(practice: Practice):
    client = practice.client(email="kari@example.org")
    practice.bookings.series_for_case(PIA, client.client_id, "SAK-2026-1001")
    practice.book(client, "SAK-2026-1001", "2026-12-02T09:00:00+01:00")
    with pytest.raises(InvalidRequest) as refused:
        practice.book(client, "SAK-2026-1001", "2026-12-02T09:40:00+01:00")  # the first lasts until 09:45
    assert refused.value.field == "starts_at"
    assert practice.records.series_by_id["SAK-2026-1001"].used == 1
    practice.book(client, "SAK-2026-1001", "2026-12-02T09:45:00+01:00")  # right after it is free


def test_two_bookings_of_the_same_time_at_once_one_wins(practice: Practice):
    kari = practice.client(email="kari@example.org")
    nils = practice.client("Nils", email="nils@example.org")
    practice.bookings.series_for_case(PIA, kari.client_id, "SAK-2026-1001")
    practice.bookings.series_for_case(PIA, nils.client_id, "SAK-2026-1003")
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def book(client_id: str, series_id: str) -> None:
        client = practice.records.clients[(PIA, client_id)]
        barrier.wait()
        try:
            practice.book(client, series_id, "2026-12-02T09:00:00+01:00")
            outcomes.append("booked")
        except InvalidRequest as refused:
            outcomes.append(refused.code)

    threads = [
        threading.Thread(target=book, args=(kari.client_id, "SAK-2026-1001")),
        threading.Thread(target=book, args=(nils.client_id, "SAK-2026-1003")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked", "bookings.time_taken"]
    used = {s: practice.records.series_by_id[s].used for s in ("SAK-2026-1001", "SAK-2026-1003")}
    assert sorted(used.values()) == [0, 1]


# --- moving and cancelling --------------------------------------------------------------------------------


def test_cancelling_gives_the_series_its_appointment_back_frees_the_time_and_tells_both(practice: Practice):
    client = practice.client(email="kari@example.org")
    practice.bookings.series_for_case(PIA, client.client_id, "SAK-2026-1002")
    booking = practice.book(client, "SAK-2026-1002", "2026-12-02T09:00:00+01:00")
    practice.book(client, "SAK-2026-1002", "2026-12-03T09:00:00+01:00")
    cancelled = practice.bookings.cancel(PIA, booking.booking_id)
    assert cancelled.status is BookingStatus.CANCELLED
    assert practice.records.series_by_id["SAK-2026-1002"].left == 1
    assert sorted(practice.mails()) == [
        ("booking_cancelled", "kari@example.org"),
        ("booking_cancelled", PRACTITIONER.email),
    ]
    practice.book(client, "SAK-2026-1002", "2026-12-02T09:00:00+01:00")  # the time and the appointment again
    with pytest.raises(InvalidRequest):
        practice.bookings.cancel(PIA, booking.booking_id)  # once


def test_moving_keeps_the_series_count_frees_the_old_time_and_tells_both(practice: Practice):
    client = practice.client(email="kari@example.org")
    practice.bookings.series_for_case(PIA, client.client_id, "SAK-2026-1001")
    booking = practice.book(client, "SAK-2026-1001", "2026-12-02T09:00:00+01:00")
    moved = practice.bookings.move(
        PIA, booking.booking_id, MoveBooking.model_validate({"starts_at": "2026-12-02T09:30:00+01:00"}, strict=False)
    )
    assert moved.starts_at.hour == 8 and moved.starts_at.minute == 30  # in UTC
    assert practice.records.series_by_id["SAK-2026-1001"].used == 1
    assert sorted(practice.mails()) == [("booking_moved", "kari@example.org"), ("booking_moved", PRACTITIONER.email)]
    practice.book(client, "SAK-2026-1001", "2026-12-02T08:45:00+01:00")  # 09:00-09:30 was freed, 08:45 fits it


def test_moving_onto_another_booking_is_refused(practice: Practice):
    client = practice.client(email="kari@example.org")
    practice.bookings.series_for_case(PIA, client.client_id, "SAK-2026-1001")
    first = practice.book(client, "SAK-2026-1001", "2026-12-02T09:00:00+01:00")
    practice.book(client, "SAK-2026-1001", "2026-12-02T11:00:00+01:00")
    with pytest.raises(InvalidRequest) as refused:
        practice.bookings.move(
            PIA, first.booking_id, MoveBooking.model_validate({"starts_at": "2026-12-02T10:30:00+01:00"}, strict=False)
        )
    assert refused.value.field == "starts_at"


def test_the_calendar_shows_a_practitioners_own_bookings_by_day_and_week(practice: Practice):
    client = practice.client(email="kari@example.org")
    practice.bookings.series_for_case(PIA, client.client_id, "SAK-2026-1001")
    monday = practice.book(client, "SAK-2026-1001", "2026-11-30T00:15:00+01:00")  # Norwegian Monday, UTC Sunday
    friday = practice.book(client, "SAK-2026-1001", "2026-12-04T15:00:00+01:00")
    assert practice.bookings.calendar(PIA, date(2026, 11, 30)) == [monday]
    assert practice.bookings.calendar(PIA, date(2026, 11, 30), days=7) == [monday, friday]
    assert practice.bookings.calendar(OTHER_PRACTITIONER.practitioner_id, date(2026, 11, 30), days=7) == []


def test_r_bkg_2_the_practitioner_reads_of_an_inbound_booking_in_norwegian(world: World):
    client = world.app.bookings.client_for(PIA, NewClient(name="Kari Klient", email="kari@example.org"))
    world.app.bookings.series_for_case(PIA, client.client_id, "SAK-2026-1001")
    command = BookAppointment.model_validate_json(
        f'{{"client_id": "{client.client_id}", "series_id": "SAK-2026-1001", "starts_at": "2026-12-02T09:00:00+01:00"}}'
    )
    world.app.bookings.book(PIA, command, BookingSource.INBOUND)
    world.flush()
    [mail] = world.mail.to(PRACTITIONER.email)
    assert mail.subject.startswith("Ny booking: Kari Klient")
    assert "Bookingen ligger i kalenderen din" in mail.text and "SAK-2026-1001" in mail.text


# --- attended: the invoice (R-BKG-4) ------------------------------------------------------------------------


def test_r_bkg_4_an_attended_appointment_makes_the_insurers_ehf_invoice_once(world: World):
    client = world.app.bookings.client_for(PIA, NewClient(name="Kari Klient", email="kari@example.org"))
    world.app.bookings.series_for_case(PIA, client.client_id, "SAK-2026-1001")
    command = BookAppointment.model_validate_json(
        f'{{"client_id": "{client.client_id}", "series_id": "SAK-2026-1001", "starts_at": "2026-11-23T11:00:00+01:00"}}'
    )
    booking = world.app.bookings.book(PIA, command)
    with pytest.raises(InvalidRequest) as refused:
        world.app.bookings.mark_attended(PIA, booking.booking_id)  # it begins at 10:00 UTC, an hour from now
    assert refused.value.field == "booking_id"
    world.clock.advance(hours=1)
    attended = world.app.bookings.mark_attended(PIA, booking.booking_id)
    assert attended.status is BookingStatus.ATTENDED
    with pytest.raises(InvalidRequest):
        world.app.bookings.mark_attended(PIA, booking.booking_id)  # once
    world.flush()
    [(key, document)] = world.invoice_documents.documents.items()
    assert key == f"ehf/923609016/{booking.booking_id}.xml"
    assert b"<cbc:BuyerReference>SAK-2026-1001</cbc:BuyerReference>" in document
    assert b"995568217" in document  # the insurer, as the buyer
    world.app.bookings.deliver_invoice({"practitioner_id": PIA, "booking_id": booking.booking_id})
    assert world.invoice_documents.documents == {key: document}  # made again, the same
