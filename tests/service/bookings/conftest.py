"""Bookings over in-memory fakes: the demo practice, its outbox and a clock the test sets."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from chalicelib.bookings.commands import BookAppointment, NewClient
from chalicelib.bookings.model import Booking, BookingSource, Client
from chalicelib.bookings.services import BookingService
from chalicelib.notifications.services import OutboxNotifier
from local.practice import PRACTITIONER, seed_practice
from tests.fakes.bookings import FixedIdentityKey, MemoryBookingRecords, MemoryInvoiceDocuments
from tests.fakes.notifications import MemoryOutbox
from tests.fakes.store import MemoryStore
from tests.fakes.world import Clock


@dataclass
class Practice:
    clock: Clock = field(default_factory=Clock)
    store: MemoryStore = field(default_factory=MemoryStore)

    def __post_init__(self) -> None:
        self.records = MemoryBookingRecords(self.store)
        self.outbox = MemoryOutbox(self.store)
        self.documents = MemoryInvoiceDocuments()
        seed_practice(self.records, self.store)
        self.bookings = BookingService(
            self.records,
            OutboxNotifier(self.outbox),
            self.outbox,
            self.documents,
            self.store,
            FixedIdentityKey(),
            self.clock,
        )

    def client(self, name: str = "Kari Klient", **fields: str) -> Client:
        command = NewClient.model_validate({"name": name, **fields})
        return self.bookings.client_for(PRACTITIONER.practitioner_id, command)

    def book(
        self,
        client: Client,
        series_id: str,
        starts_at: str,
        source: BookingSource = BookingSource.MANUAL,
        **more: object,
    ) -> Booking:
        command = BookAppointment.model_validate(
            {"client_id": client.client_id, "series_id": series_id, "starts_at": starts_at, **more}, strict=False
        )
        return self.bookings.book(PRACTITIONER.practitioner_id, command, source)

    def mails(self) -> list[tuple[str, str]]:
        """(template, to) of every mail staged."""
        return [(m.payload["template"], m.payload["to"]) for m in self.outbox.messages.values()]


@pytest.fixture
def practice() -> Practice:
    return Practice()
