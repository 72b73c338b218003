"""Bookings' records in memory, with the same conditions as the DynamoDB adapter, and a fixed identity key."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.bookings.model import Booking, Client, InsurerCase, Practitioner, Series, comparable_email
from chalicelib.bookings.partners import EventStatus, InboundEvent
from chalicelib.shared.transactions import Transaction

from .store import MemoryStore, staged


@dataclass
class FixedIdentityKey:
    secret: bytes = b"an identity key for the tests"

    def value(self) -> bytes:
        return self.secret


@dataclass
class FixedPartnerSecrets:
    secrets: dict[str, bytes] = field(default_factory=dict)

    def secret(self, partner_id: str) -> bytes | None:
        return self.secrets.get(partner_id)


@dataclass
class MemoryInboundEvents:
    store: MemoryStore
    signatures: set[tuple[str, str]] = field(default_factory=set)
    events: dict[tuple[str, str], InboundEvent] = field(default_factory=dict)

    def first_use_of_signature(self, partner_id: str, signature: str, kept_until: datetime) -> bool:
        with self.store.lock:
            if (partner_id, signature) in self.signatures:
                return False
            self.signatures.add((partner_id, signature))
            return True

    def event(self, partner_id: str, event_id: str) -> InboundEvent | None:
        return self.events.get((partner_id, event_id))

    def add_event(self, transaction: Transaction, event: InboundEvent) -> None:
        key = (event.partner_id, event.event_id)
        staged(transaction).stage(lambda: self.events.__setitem__(key, event), check=lambda: key not in self.events)

    def save_event(self, transaction: Transaction, event: InboundEvent, status_before: EventStatus) -> None:
        key = (event.partner_id, event.event_id)

        def unchanged() -> bool:
            stored = self.events.get(key)
            return stored is not None and stored.status is status_before

        staged(transaction).stage(lambda: self.events.__setitem__(key, event), check=unchanged)


@dataclass
class RecordingEventQueue:
    sent: list[dict[str, Any]] = field(default_factory=list)

    def send(self, payload: dict[str, str]) -> None:
        self.sent.append(dict(payload))


@dataclass
class MemoryInvoiceDocuments:
    documents: dict[str, bytes] = field(default_factory=dict)

    def store(self, key: str, document: bytes) -> None:
        self.documents[key] = document


@dataclass
class MemoryBookingRecords:
    store: MemoryStore
    practitioners: dict[str, Practitioner] = field(default_factory=dict)
    clients: dict[tuple[str, str], Client] = field(default_factory=dict)
    client_lookups: dict[tuple[str, str], str] = field(default_factory=dict)  # (practitioner, lookup) -> client
    cases: dict[str, InsurerCase] = field(default_factory=dict)
    series_by_id: dict[str, Series] = field(default_factory=dict)
    bookings: dict[tuple[str, str], Booking] = field(default_factory=dict)
    slots: dict[tuple[str, str], str] = field(default_factory=dict)  # (practitioner, mark) -> booking

    # --- practitioners and clients ------------------------------------------------------------------------

    def practitioner(self, practitioner_id: str) -> Practitioner | None:
        return self.practitioners.get(practitioner_id)

    def put_practitioner(self, practitioner: Practitioner) -> None:
        self.practitioners[practitioner.practitioner_id] = practitioner

    def client(self, practitioner_id: str, client_id: str) -> Client | None:
        return self.clients.get((practitioner_id, client_id))

    def client_by_identity(self, practitioner_id: str, identity_hash: str) -> Client | None:
        client_id = self.client_lookups.get((practitioner_id, f"identity:{identity_hash}"))
        return self.client(practitioner_id, client_id) if client_id else None

    def client_by_email(self, practitioner_id: str, email: str) -> Client | None:
        client_id = self.client_lookups.get((practitioner_id, f"email:{comparable_email(email)}"))
        return self.client(practitioner_id, client_id) if client_id else None

    def add_client(self, transaction: Transaction, client: Client) -> None:
        lookups = _lookups(client)

        def keep() -> None:
            self.clients[(client.practitioner_id, client.client_id)] = client
            for lookup in lookups:
                self.client_lookups[(client.practitioner_id, lookup)] = client.client_id

        staged(transaction).stage(
            keep,
            check=lambda: (
                (client.practitioner_id, client.client_id) not in self.clients
                and not any((client.practitioner_id, lookup) in self.client_lookups for lookup in lookups)
            ),
        )

    # --- insurer cases and series ----------------------------------------------------------------------

    def insurer_case(self, case_id: str) -> InsurerCase | None:
        return self.cases.get(case_id)

    def put_case(self, transaction: Transaction, case: InsurerCase, previous: InsurerCase | None) -> None:
        staged(transaction).stage(
            lambda: self.cases.__setitem__(case.case_id, case), check=lambda: self.cases.get(case.case_id) == previous
        )

    def series(self, series_id: str) -> Series | None:
        return self.series_by_id.get(series_id)

    def series_of_client(self, practitioner_id: str, client_id: str) -> list[Series]:
        return sorted(
            (s for s in self.series_by_id.values() if (s.practitioner_id, s.client_id) == (practitioner_id, client_id)),
            key=lambda s: s.created_at,
        )

    def add_series(self, transaction: Transaction, series: Series) -> None:
        staged(transaction).stage(
            lambda: self.series_by_id.__setitem__(series.series_id, series),
            check=lambda: series.series_id not in self.series_by_id,
        )

    def save_series(self, transaction: Transaction, series: Series, used_before: int) -> None:
        def unchanged() -> bool:
            stored = self.series_by_id.get(series.series_id)
            return stored is not None and stored.used == used_before

        staged(transaction).stage(lambda: self.series_by_id.__setitem__(series.series_id, series), check=unchanged)

    # --- the calendar ----------------------------------------------------------------------------------

    def booking(self, practitioner_id: str, booking_id: str) -> Booking | None:
        return self.bookings.get((practitioner_id, booking_id))

    def bookings_between(self, practitioner_id: str, start: datetime, end: datetime) -> list[Booking]:
        return sorted(
            (b for (p, _), b in self.bookings.items() if p == practitioner_id and start <= b.starts_at < end),
            key=lambda b: b.starts_at,
        )

    def bookings_of_series(self, series_id: str) -> list[Booking]:
        return [booking for booking in self.bookings.values() if booking.series_id == series_id]

    def time_taken(self, practitioner_id: str, slots: list[str], but: str | None = None) -> bool:
        return any(self.slots.get((practitioner_id, slot), but) != but for slot in slots)

    def add_booking(self, transaction: Transaction, booking: Booking) -> None:
        key = (booking.practitioner_id, booking.booking_id)
        marks = [(booking.practitioner_id, slot) for slot in booking.slots]

        def keep() -> None:
            self.bookings[key] = booking
            for mark in marks:
                self.slots[mark] = booking.booking_id

        staged(transaction).stage(
            keep, check=lambda: key not in self.bookings and not any(mark in self.slots for mark in marks)
        )

    def change_booking(self, transaction: Transaction, before: Booking, after: Booking) -> None:
        key = (after.practitioner_id, after.booking_id)
        held = set(before.slots) if before.holds_time else set()
        wanted = set(after.slots) if after.holds_time else set()
        freed, taken = held - wanted, wanted - held

        def unchanged() -> bool:
            stored = self.bookings.get(key)
            return (
                stored is not None
                and stored.version == before.version
                and not any((after.practitioner_id, slot) in self.slots for slot in taken)
            )

        def keep() -> None:
            self.bookings[key] = after
            for slot in freed:
                self.slots.pop((after.practitioner_id, slot), None)
            for slot in taken:
                self.slots[(after.practitioner_id, slot)] = after.booking_id

        staged(transaction).stage(keep, check=unchanged)


def _lookups(client: Client) -> list[str]:
    return [
        *([f"identity:{client.identity_hash}"] if client.identity_hash else []),
        *([f"email:{comparable_email(client.email)}"] if client.email else []),
    ]
