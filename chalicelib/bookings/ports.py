"""What bookings needs: where practitioners, clients, insurer cases, series and the calendar are kept, and the
key identity numbers are hashed with.

Every `add`/`save` stages into a `Transaction` with a condition, so a commit that lost a race raises
`ConcurrentChange` and writes nothing: a client is never made twice, a series' count never moves from a stale
read, and two bookings never hold the same five-minute mark of a practitioner's time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from chalicelib.bookings.model import Booking, Client, InsurerCase, Practitioner, Series
from chalicelib.bookings.partners import EventStatus, InboundEvent
from chalicelib.shared.transactions import Transaction

__all__ = [
    "BookingEventQueue",
    "BookingRecords",
    "Calendar",
    "Clients",
    "IdentityKey",
    "InboundEvents",
    "InsurerCases",
    "InvoiceDocuments",
    "PartnerSecrets",
    "Practitioners",
    "SeriesRecords",
]


class IdentityKey(Protocol):
    """The secret identity numbers are hashed with for lookup."""

    def value(self) -> bytes: ...


class InvoiceDocuments(Protocol):
    """Where EHF documents wait for the access point that sends them to the insurer."""

    def store(self, key: str, document: bytes) -> None:
        """Keeps `document` under `key`; storing the same invoice again replaces it with the same bytes."""


class Practitioners(Protocol):
    def practitioner(self, practitioner_id: str) -> Practitioner | None: ...

    def put_practitioner(self, practitioner: Practitioner) -> None: ...


class Clients(Protocol):
    def client(self, practitioner_id: str, client_id: str) -> Client | None:
        """Only the practitioner's own client: another's is None (a practitioner sees only their own)."""

    def client_by_identity(self, practitioner_id: str, identity_hash: str) -> Client | None: ...

    def client_by_email(self, practitioner_id: str, email: str) -> Client | None: ...

    def add_client(self, transaction: Transaction, client: Client) -> None:
        """The client and its lookups by identity hash and e-mail, each on the condition that none exists."""


class InsurerCases(Protocol):
    def insurer_case(self, case_id: str) -> InsurerCase | None: ...

    def put_case(self, transaction: Transaction, case: InsurerCase, previous: InsurerCase | None) -> None:
        """The case as the insurer sent it, on the condition that it is still `previous` (or new)."""


class SeriesRecords(Protocol):
    def series(self, series_id: str) -> Series | None: ...

    def series_of_client(self, practitioner_id: str, client_id: str) -> list[Series]: ...

    def add_series(self, transaction: Transaction, series: Series) -> None:
        """A new series, on the condition that none is kept under its case id."""

    def save_series(self, transaction: Transaction, series: Series, used_before: int) -> None:
        """The series, on the condition that its count of used appointments is still `used_before`."""


class Calendar(Protocol):
    def booking(self, practitioner_id: str, booking_id: str) -> Booking | None: ...

    def bookings_between(self, practitioner_id: str, start: datetime, end: datetime) -> list[Booking]:
        """The practitioner's bookings starting in [start, end), by start."""

    def bookings_of_series(self, series_id: str) -> list[Booking]: ...

    def time_taken(self, practitioner_id: str, slots: list[str], but: str | None = None) -> bool:
        """Whether any of these marks is held by a booking (other than `but`): only to say why a write failed."""

    def add_booking(self, transaction: Transaction, booking: Booking) -> None:
        """The booking (must be new) and each mark of its time (each must be free)."""

    def change_booking(self, transaction: Transaction, before: Booking, after: Booking) -> None:
        """The booking, on the condition that it is still `before`'s version; the marks it no longer covers
        freed, the new ones taken (each must be free)."""


class BookingRecords(Practitioners, Clients, InsurerCases, SeriesRecords, Calendar, Protocol):
    """All of bookings' records, kept in one store so they can be written in one transaction."""


class PartnerSecrets(Protocol):
    def secret(self, partner_id: str) -> bytes | None:
        """The partner's signing secret, or None for a partner that has none (an unknown partner)."""


class InboundEvents(Protocol):
    """Partner events as they arrive, kept before anything is done with them (R-BKG-1)."""

    def first_use_of_signature(self, partner_id: str, signature: str, kept_until: datetime) -> bool:
        """Records that a signature was used; False when it was already (a replayed request)."""

    def event(self, partner_id: str, event_id: str) -> InboundEvent | None: ...

    def add_event(self, transaction: Transaction, event: InboundEvent) -> None:
        """The event, on the condition that none is kept under the partner's event id."""

    def save_event(self, transaction: Transaction, event: InboundEvent, status_before: EventStatus) -> None:
        """The event, on the condition that its status is still `status_before`."""


class BookingEventQueue(Protocol):
    def send(self, payload: dict[str, str]) -> None:
        """Queues a kept event for processing, which is retried and finally set aside (the dead-letter queue)."""
