"""Bookings' records on the embedded DynamoDB and in memory, held to one contract; and a practitioner's time
held by a conditional write, proven by bookings made at the same moment (not a read, then a write)."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from chalicelib.bookings.commands import BookAppointment, NewClient
from chalicelib.bookings.model import Booking, BookingSource, Client, Series
from chalicelib.bookings.services import BookingService
from chalicelib.bootstrap import container
from chalicelib.notifications.services import OutboxNotifier
from chalicelib.shared.errors import InvalidRequest
from chalicelib.shared.transactions import ConcurrentChange
from local.embedded_aws import EmbeddedAws
from local.practice import PHYSIOTHERAPY, PRACTITIONER, case
from tests.ehf import schema_errors
from tests.fakes.bookings import FixedIdentityKey, MemoryBookingRecords, MemoryInvoiceDocuments
from tests.fakes.notifications import MemoryOutbox
from tests.fakes.store import MemoryStore

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PIA = PRACTITIONER.practitioner_id


@dataclass
class Store:
    transactions: Any
    records: Any
    bookings: BookingService


@pytest.fixture(params=["memory", "dynamo"])
def store(request: pytest.FixtureRequest) -> Store:
    if request.param == "memory":
        memory = MemoryStore()
        records = MemoryBookingRecords(memory)
        records.put_practitioner(PRACTITIONER)
        outbox = MemoryOutbox(memory)
        service = BookingService(
            records, OutboxNotifier(outbox), outbox, MemoryInvoiceDocuments(), memory, FixedIdentityKey(), lambda: NOW
        )
        return Store(memory, records, service)
    request.getfixturevalue("aws")
    app = container()
    return Store(app.adapters.transactions, app.adapters.booking_records, app.bookings)


def commit(store: Store, *stage: Any) -> None:
    transaction = store.transactions.begin()
    for write in stage:
        write(transaction)
    transaction.commit()


def new_client(**changes: Any) -> Client:
    values: dict[str, Any] = {
        "client_id": f"cl-{uuid.uuid4().hex[:12]}",
        "practitioner_id": PIA,
        "name": "Kari",
        "email": f"{uuid.uuid4().hex[:8]}@example.org",
        "identity_hash": uuid.uuid4().hex,
        "identity_masked": "•••••••••57",
        "created_at": NOW,
        **changes,
    }
    return Client(**values)


def new_series(client: Client, maximum: int = 3) -> Series:
    return Series.from_case(case(f"SAK-{uuid.uuid4().hex[:10]}", maximum), client.client_id, NOW)


def booking_at(client: Client, series: Series, starts_at: datetime, **changes: Any) -> Booking:
    values: dict[str, Any] = {
        "booking_id": f"bk-{uuid.uuid4().hex[:12]}",
        "practitioner_id": PIA,
        "client_id": client.client_id,
        "series_id": series.series_id,
        "service": PHYSIOTHERAPY,
        "starts_at": starts_at,
        "minutes": 45,
        "created_at": NOW,
        "updated_at": NOW,
        **changes,
    }
    return Booking(**values)


def test_a_client_is_added_once_and_found_by_identity_hash_and_email(store: Store):
    client = new_client()
    commit(store, lambda t: store.records.add_client(t, client))
    assert store.records.client(PIA, client.client_id) == client
    assert store.records.client_by_identity(PIA, client.identity_hash) == client
    assert store.records.client_by_email(PIA, str(client.email).upper()) == client
    assert store.records.client("ola.practitioner", client.client_id) is None
    twin = new_client(identity_hash=client.identity_hash)  # another id, the same identity number
    with pytest.raises(ConcurrentChange):
        commit(store, lambda t: store.records.add_client(t, twin))
    assert store.records.client(PIA, twin.client_id) is None


def test_a_series_is_added_once_and_saved_only_at_the_count_read(store: Store):
    client = new_client()
    series = new_series(client)
    commit(store, lambda t: store.records.add_series(t, series))
    with pytest.raises(ConcurrentChange):
        commit(store, lambda t: store.records.add_series(t, series))
    taken, _ = series.take(BookingSource.MANUAL)
    commit(store, lambda t: store.records.save_series(t, taken, 0))
    with pytest.raises(ConcurrentChange):  # a second writer who also read 0
        commit(store, lambda t: store.records.save_series(t, taken, 0))
    assert store.records.series(series.series_id).used == 1
    assert store.records.series_of_client(PIA, client.client_id) == [taken]


def test_a_booking_holds_its_time_until_it_is_moved_or_cancelled(store: Store):
    client = new_client()
    series = new_series(client)
    start = datetime(2031, 1 + uuid.uuid4().int % 12, 1 + uuid.uuid4().int % 28, 9, 0, tzinfo=UTC)
    booking = booking_at(client, series, start)
    commit(store, lambda t: store.records.add_booking(t, booking))
    assert store.records.booking(PIA, booking.booking_id) == booking
    assert store.records.time_taken(PIA, booking.slots)
    assert not store.records.time_taken(PIA, booking.slots, but=booking.booking_id)
    clash = booking_at(client, series, start.replace(minute=40))
    with pytest.raises(ConcurrentChange):
        commit(store, lambda t: store.records.add_booking(t, clash))
    assert store.records.booking(PIA, clash.booking_id) is None

    moved = booking.moved(start.replace(minute=30), 45, NOW)
    commit(store, lambda t: store.records.change_booking(t, booking, moved))
    with pytest.raises(ConcurrentChange):  # a second writer who read the first version
        commit(store, lambda t: store.records.change_booking(t, booking, booking.cancelled(NOW)))
    assert not store.records.time_taken(PIA, booking_at(client, series, start, minutes=30).slots)
    cancelled = moved.cancelled(NOW)
    commit(store, lambda t: store.records.change_booking(t, moved, cancelled))
    assert not store.records.time_taken(PIA, moved.slots)
    assert store.records.bookings_of_series(series.series_id) == [cancelled]
    day = store.records.bookings_between(PIA, start.replace(hour=0), start.replace(hour=23))
    assert cancelled in day
    before_it = store.records.bookings_between(PIA, start.replace(hour=0), moved.starts_at)  # the end is excluded
    assert cancelled.booking_id not in [b.booking_id for b in before_it]


def test_a_case_is_replaced_only_as_it_was_read(store: Store):
    opened = case(f"SAK-{uuid.uuid4().hex[:10]}")
    commit(store, lambda t: store.records.put_case(t, opened, None))
    with pytest.raises(ConcurrentChange):
        commit(store, lambda t: store.records.put_case(t, opened, None))
    changed = opened.model_copy(update={"max_appointments": 9, "updated_at": NOW})
    commit(store, lambda t: store.records.put_case(t, changed, opened))
    with pytest.raises(ConcurrentChange):
        commit(store, lambda t: store.records.put_case(t, changed, opened))
    assert store.records.insurer_case(opened.case_id) == changed


def test_ten_bookings_of_the_same_time_at_once_only_one_holds_it(store: Store):
    """The double-booking race: each booking writes every five-minute mark of its time on the condition that
    the mark is free, in one transaction with the series' count; of ten at once exactly one wins."""
    start = datetime(2032, 1 + uuid.uuid4().int % 12, 1 + uuid.uuid4().int % 28, 10, 0, tzinfo=UTC)
    clients = []
    for number in range(10):
        client = store.bookings.client_for(PIA, NewClient(name=f"Klient {number}", email=f"{uuid.uuid4().hex}@ex.org"))
        insurer_case = case(f"SAK-{uuid.uuid4().hex[:10]}", 3)
        commit(store, lambda t, c=insurer_case: store.records.put_case(t, c, None))
        store.bookings.series_for_case(PIA, client.client_id, insurer_case.case_id)
        clients.append((client, insurer_case.case_id))
    barrier = threading.Barrier(len(clients))
    outcomes: list[str] = []

    def book(client: Client, series_id: str) -> None:
        command = BookAppointment(client_id=client.client_id, series_id=series_id, starts_at=start)
        barrier.wait()
        try:
            store.bookings.book(PIA, command)
            outcomes.append("booked")
        except InvalidRequest as refused:
            outcomes.append(refused.code)

    threads = [threading.Thread(target=book, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked"] + ["bookings.time_taken"] * 9
    day = store.bookings.calendar(PIA, date(start.year, start.month, start.day))
    assert len([b for b in day if b.starts_at == start]) == 1
    assert sum(store.records.series(series_id).used for _, series_id in clients) == 1


def test_an_attended_appointments_invoice_reaches_the_bucket_through_the_outbox(aws: EmbeddedAws):
    app = container()
    bookings = app.bookings
    client = bookings.client_for(PIA, NewClient(name="Kari", email=f"{uuid.uuid4().hex}@example.org"))
    insurer_case = case(f"SAK-{uuid.uuid4().hex[:10]}", 3)
    transaction = app.adapters.transactions.begin()
    app.adapters.booking_records.put_case(transaction, insurer_case, None)
    transaction.commit()
    bookings.series_for_case(PIA, client.client_id, insurer_case.case_id)
    start = datetime(2025, 1 + uuid.uuid4().int % 12, 1 + uuid.uuid4().int % 28, 8, 0, tzinfo=UTC)
    booking = bookings.book(
        PIA, BookAppointment(client_id=client.client_id, series_id=insurer_case.case_id, starts_at=start)
    )
    bookings.mark_attended(PIA, booking.booking_id)
    s3 = aws.client("s3")
    key = f"ehf/923609016/{booking.booking_id}.xml"
    deadline = time.monotonic() + 20
    while True:
        found = s3.list_objects_v2(Bucket=aws.environment["INVOICE_BUCKET"], Prefix=key).get("Contents", [])
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert found, "the invoice never reached the bucket"
    document = s3.get_object(Bucket=aws.environment["INVOICE_BUCKET"], Key=key)["Body"].read()
    assert schema_errors(document) == []
