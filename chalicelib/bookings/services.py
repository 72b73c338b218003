"""Booking appointments in insurance series (Flow 4): clients found or made, series opened from insurer cases,
appointments booked, moved and cancelled, each write conditional so that a race loses cleanly."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from chalicelib.bookings.calendar_file import invitation
from chalicelib.bookings.commands import BookAppointment, ManualBooking, MoveBooking, NewClient
from chalicelib.bookings.ehf import ehf_invoice
from chalicelib.bookings.invoices import Invoice, invoice_for
from chalicelib.bookings.model import (
    CALENDAR_ZONE,
    Booking,
    BookingSource,
    Client,
    ClientSource,
    Practitioner,
    Series,
    SeriesStatus,
    comparable_email,
    identity_lookup,
    identity_number,
    masked_identity,
)
from chalicelib.bookings.ports import BookingRecords, IdentityKey, InvoiceDocuments
from chalicelib.bookings.reasons import (
    BUSY,
    CHOOSE_SERIES,
    CLIENT_HAS_NO_EMAIL,
    NO_SUCH_BOOKING,
    NO_SUCH_CASE,
    NO_SUCH_CLIENT,
    NO_SUCH_PRACTITIONER,
    NO_SUCH_SERIES,
    NOT_YET_HELD,
    SERIES_OF_ANOTHER_CLIENT,
    TIME_TAKEN,
)
from chalicelib.notifications.ports import Attachment, Notification, Notifier, Outbox, OutboxMessage, Recipient
from chalicelib.shared.errors import InProgress, InvalidRequest, NotFound
from chalicelib.shared.time import Clock
from chalicelib.shared.transactions import ConcurrentChange, Transaction, Transactions

# How often a write that lost a race is tried again from a fresh read before the caller is asked to retry.
ATTEMPTS = 5
# The outbox message that makes an attended appointment's EHF invoice and stores it for the access point.
MAKE_INVOICE = "bookings.invoice"

T = TypeVar("T")


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(8)}"


def booking_id_for(practitioner_id: str, request_key: str) -> str:
    """The booking a request key names: a request sent twice asks for the same booking."""
    return "bk-" + hashlib.sha256(f"{practitioner_id}:{request_key}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class CalendarEntry:
    """A booking as the calendar shows it: with its client and its series (R-BKG-6)."""

    booking: Booking
    client: Client | None
    series: Series | None


@dataclass(frozen=True)
class SeriesView:
    """R-BKG-6: a series with its details above its bookings, by start."""

    series: Series
    bookings: list[Booking]


def calendar_file(booking: Booking, practitioner: Practitioner) -> Attachment:
    return Attachment(
        filename="avtale.ics",
        content_type="text/calendar; charset=utf-8; method=REQUEST",
        content=invitation(booking, practitioner).decode(),
    )


class BookingNotices:
    """What bookings tells people: the practitioner of an inbound booking (R-BKG-2), the client and the
    practitioner of a move or a cancellation. Staged in the change's own transaction."""

    def __init__(self, notifier: Notifier) -> None:
        self._notifier = notifier

    def tell(
        self,
        transaction: Transaction,
        template: str,
        booking: Booking,
        practitioner: Practitioner,
        client: Client,
        *,
        client_too: bool,
        moved_from: Booking | None = None,
    ) -> None:
        recipients = [Recipient(practitioner.email, practitioner.name, practitioner.language)]
        if client_too and client.email:
            recipients.append(Recipient(client.email, client.name, client.language))
        self._notifier.notify(
            transaction,
            Notification(
                key=f"booking:{booking.booking_id}:{booking.version}:{template}",
                template=template,
                recipients=tuple(recipients),
                context={
                    "booking": {
                        "booking_id": booking.booking_id,
                        "starts_at": booking.starts_at.isoformat(),
                        "minutes": booking.minutes,
                        "service": booking.service.name,
                        "series_id": booking.series_id,
                        "over_limit": booking.over_limit,
                        "moved_from": moved_from.starts_at.isoformat() if moved_from else None,
                    },
                    "practitioner_name": practitioner.name,
                    "client_name": client.name,
                },
                correlation_id=booking.booking_id,
                # A moved appointment's new calendar file: the same UID, so it replaces the one the client has.
                attachments=(calendar_file(booking, practitioner),) if moved_from is not None else (),
            ),
        )

    def invite(self, transaction: Transaction, booking: Booking, practitioner: Practitioner, client: Client) -> None:
        """R-BKG-5: the client's invitation, with the appointment as a calendar file (.ics)."""
        local = booking.starts_at.astimezone(CALENDAR_ZONE)
        self._notifier.notify(
            transaction,
            Notification(
                key=f"booking:{booking.booking_id}:{booking.version}:booking_invitation",
                template="booking_invitation",
                recipients=(Recipient(str(client.email), client.name, client.language),),
                context={
                    "booking": {
                        "booking_id": booking.booking_id,
                        "date": local.strftime("%d.%m.%Y"),
                        "time": local.strftime("%H:%M"),
                        "minutes": booking.minutes,
                        "service": booking.service.name,
                    },
                    "practitioner_name": practitioner.name,
                    "practice_name": practitioner.business.name,
                    "client_name": client.name,
                },
                correlation_id=booking.booking_id,
                attachments=(calendar_file(booking, practitioner),),
            ),
        )


class BookingService:
    def __init__(
        self,
        records: BookingRecords,
        notifier: Notifier,
        outbox: Outbox,
        documents: InvoiceDocuments,
        transactions: Transactions,
        identity_key: IdentityKey,
        clock: Clock,
    ) -> None:
        self._records = records
        self._notices = BookingNotices(notifier)
        self._outbox = outbox
        self._documents = documents
        self._transactions = transactions
        self._identity_key = identity_key
        self._clock = clock

    # --- clients ----------------------------------------------------------------------------------------

    def client_for(
        self, practitioner_id: str, command: NewClient, source: ClientSource = ClientSource.MANUAL
    ) -> Client:
        """The practitioner's client with this identity number, else with this e-mail, else a new one (R-BKG-3)."""
        identity = self.identify(command.identity_number) if command.identity_number else None
        return self.client_identified(practitioner_id, command.name, command.email, identity, command.language, source)

    def identify(self, number: str, field: str = "identity_number") -> tuple[str, str]:
        """A checked identity number as what is kept of it: its keyed hash (to find the client by) and its
        masked form (to show). The number itself goes no further."""
        checked = identity_number(number.replace(" ", ""), field)
        return identity_lookup(self._identity_key.value(), checked), masked_identity(checked)

    def client_identified(
        self,
        practitioner_id: str,
        name: str,
        email: str | None,
        identity: tuple[str, str] | None,
        language: str = "nb",
        source: ClientSource = ClientSource.MANUAL,
    ) -> Client:
        """Never two clients: the lookups are written on the condition that none exists, so a client made at the
        same moment is found on the next read."""
        self.practitioner(practitioner_id)
        identity_hash, masked = identity if identity else (None, None)
        address = comparable_email(email) if email else None

        def attempt() -> Client:
            found = self._find_client(practitioner_id, identity_hash, address)
            if found is not None:
                return found
            client = Client(
                client_id=new_id("cl"),
                practitioner_id=practitioner_id,
                name=name,
                email=address,
                identity_hash=identity_hash,
                identity_masked=masked,
                language=language,
                source=source,
                created_at=self._clock(),
            )
            transaction = self._transactions.begin()
            self._records.add_client(transaction, client)
            transaction.commit()
            return client

        return self._retried(attempt)

    def _find_client(self, practitioner_id: str, identity_hash: str | None, email: str | None) -> Client | None:
        if identity_hash and (by_identity := self._records.client_by_identity(practitioner_id, identity_hash)):
            return by_identity
        if email and (by_email := self._records.client_by_email(practitioner_id, email)):
            return by_email
        return None

    def client(self, practitioner_id: str, client_id: str) -> Client:
        """The practitioner's own client; another practitioner's is not found (they see only their own)."""
        client = self._records.client(practitioner_id, client_id)
        if client is None:
            raise NotFound(NO_SUCH_CLIENT, field="client_id")
        return client

    def practitioner(self, practitioner_id: str) -> Practitioner:
        practitioner = self._records.practitioner(practitioner_id)
        if practitioner is None:
            raise NotFound(NO_SUCH_PRACTITIONER, field="practitioner_id")
        return practitioner

    # --- series -----------------------------------------------------------------------------------------

    def series_for_case(self, practitioner_id: str, client_id: str, case_id: str) -> Series:
        """R-BKG-4, R-BKG-5: the series of an insurer case, opened from the case the first time: the case sets
        the insurer as invoice recipient, EHF billing, the service and the maximum number of appointments."""
        self.client(practitioner_id, client_id)

        def attempt() -> Series:
            existing = self._records.series(case_id)
            if existing is not None:
                return self._own_series(existing, practitioner_id, client_id, field="case_id")
            case = self._records.insurer_case(case_id)
            if case is None or case.practitioner_id != practitioner_id:
                raise NotFound(NO_SUCH_CASE, field="case_id")
            series = Series.from_case(case, client_id, self._clock())
            transaction = self._transactions.begin()
            self._records.add_series(transaction, series)
            transaction.commit()
            return series

        return self._retried(attempt)

    def open_series(self, practitioner_id: str, client_id: str) -> list[Series]:
        """R-BKG-5: the client's open series, shown first when booking."""
        self.client(practitioner_id, client_id)
        return [
            series
            for series in self._records.series_of_client(practitioner_id, client_id)
            if series.status is SeriesStatus.OPEN
        ]

    def series_view(self, practitioner_id: str, series_id: str) -> SeriesView:
        """R-BKG-6: the series (appointments used and left of the maximum) above its bookings."""
        series = self._records.series(series_id)
        if series is None or series.practitioner_id != practitioner_id:
            raise NotFound(NO_SUCH_SERIES, field="series_id")
        bookings = sorted(self._records.bookings_of_series(series_id), key=lambda booking: booking.starts_at)
        return SeriesView(series, bookings)

    @staticmethod
    def _own_series(series: Series, practitioner_id: str, client_id: str, field: str) -> Series:
        if series.practitioner_id != practitioner_id:
            raise NotFound(NO_SUCH_SERIES if field == "series_id" else NO_SUCH_CASE, field=field)
        if series.client_id != client_id:
            raise InvalidRequest(SERIES_OF_ANOTHER_CLIENT, field=field)
        return series

    # --- the calendar -----------------------------------------------------------------------------------

    def book(
        self,
        practitioner_id: str,
        command: BookAppointment,
        source: BookingSource = BookingSource.MANUAL,
        booking_id: str | None = None,
        invite: bool = False,
    ) -> Booking:
        """An appointment in one of the client's series. By hand, beyond the series' maximum is refused; an
        inbound one is kept and flagged, and the practitioner told (R-BKG-2, R-BKG-4). The time is held by a
        conditional write of each of its marks: of two bookings at once, one wins and the other is refused."""
        practitioner = self.practitioner(practitioner_id)
        client = self.client(practitioner_id, command.client_id)
        series_id = command.series_id
        if series_id is None:
            raise InvalidRequest(NO_SUCH_SERIES, field="series_id")
        if invite and not client.email:
            raise InvalidRequest(CLIENT_HAS_NO_EMAIL, field="invite")

        def attempt() -> Booking:
            if booking_id and (stored := self._records.booking(practitioner_id, booking_id)):
                return stored  # the same booking asked for again (a double submit): booked once
            series = self._records.series(series_id)
            if series is None:
                raise NotFound(NO_SUCH_SERIES, field="series_id")
            series = self._own_series(series, practitioner_id, client.client_id, field="series_id")
            taken, beyond = series.take(source)
            now = self._clock()
            booking = Booking(
                booking_id=booking_id or new_id("bk"),
                practitioner_id=practitioner_id,
                client_id=client.client_id,
                series_id=series.series_id,
                service=series.service,
                starts_at=command.starts_at,
                minutes=command.minutes or series.service.minutes,
                source=source,
                over_limit=beyond,
                created_at=now,
                updated_at=now,
            )
            booking.slots  # noqa: B018 - refuses a time off the five-minute marks before anything is staged
            transaction = self._transactions.begin()
            self._records.add_booking(transaction, booking)
            self._records.save_series(transaction, taken, series.used)
            if source is BookingSource.INBOUND:
                self._notices.tell(transaction, "booking_received", booking, practitioner, client, client_too=False)
            if invite:  # R-BKG-5: in the booking's own transaction, so a booking saved is never left uninvited
                self._notices.invite(transaction, booking, practitioner, client)
            try:
                transaction.commit()
            except ConcurrentChange:
                if booking_id and (stored := self._records.booking(practitioner_id, booking_id)):
                    return stored  # the same booking, delivered again
                if self._records.time_taken(practitioner_id, booking.slots):
                    raise InvalidRequest(TIME_TAKEN, field="starts_at") from None
                raise  # the series changed meanwhile: read it again
            return booking

        return self._retried(attempt)

    def series_to_book(
        self, practitioner_id: str, client_id: str, series_id: str | None, case_id: str | None
    ) -> Series:
        """R-BKG-5: the series a booking by hand goes in: one of the client's, or the series of an insurer case
        looked up by its id (opened from the case the first time). R-BKG-4: a full or closed series is refused
        here, with its reason, before anything is shown as bookable."""
        if case_id:
            series = self.series_for_case(practitioner_id, client_id, case_id)
        elif series_id:
            self.client(practitioner_id, client_id)
            found = self._records.series(series_id)
            if found is None:
                raise NotFound(NO_SUCH_SERIES, field="series_id")
            series = self._own_series(found, practitioner_id, client_id, field="series_id")
        else:
            raise InvalidRequest(CHOOSE_SERIES, field="series_id")
        series.take(BookingSource.MANUAL)
        return series

    def book_by_hand(self, practitioner_id: str, command: ManualBooking) -> Booking:
        """R-BKG-5: one booking per request key, however often it is sent: the key names the booking."""
        booking_id = booking_id_for(practitioner_id, command.request_key)
        if (stored := self._records.booking(practitioner_id, booking_id)) is not None:
            return stored
        series = self.series_to_book(practitioner_id, command.client_id, command.series_id, command.case_id)
        booking = self.book(
            practitioner_id,
            BookAppointment(client_id=command.client_id, series_id=series.series_id, starts_at=command.starts_at),
            booking_id=booking_id,
            invite=command.invite,
        )
        return booking

    def calendar_entries(self, practitioner_id: str, first_day: date, days: int = 1) -> list[CalendarEntry]:
        """The calendar's bookings with their client and series, as a page shows them."""
        entries = []
        for booking in self.calendar(practitioner_id, first_day, days):
            series = self._records.series(booking.series_id) if booking.series_id else None
            entries.append(CalendarEntry(booking, self._records.client(practitioner_id, booking.client_id), series))
        return entries

    def move(self, practitioner_id: str, booking_id: str, command: MoveBooking) -> Booking:
        """Another time for the same appointment: the series' count is unchanged (its appointment is given back
        and taken again); the client and the practitioner are told."""
        practitioner = self.practitioner(practitioner_id)

        def attempt() -> Booking:
            booking = self._booking(practitioner_id, booking_id)
            after = booking.moved(command.starts_at, command.minutes or booking.minutes, self._clock())
            client = self.client(practitioner_id, booking.client_id)
            transaction = self._transactions.begin()
            self._records.change_booking(transaction, booking, after)
            self._notices.tell(
                transaction, "booking_moved", after, practitioner, client, client_too=True, moved_from=booking
            )
            try:
                transaction.commit()
            except ConcurrentChange:
                if self._records.time_taken(practitioner_id, after.slots, but=booking_id):
                    raise InvalidRequest(TIME_TAKEN, field="starts_at") from None
                raise
            return after

        return self._retried(attempt)

    def cancel(self, practitioner_id: str, booking_id: str) -> Booking:
        """The time is freed and the series has its appointment back; the client and the practitioner are told."""
        practitioner = self.practitioner(practitioner_id)

        def attempt() -> Booking:
            booking = self._booking(practitioner_id, booking_id)
            after = booking.cancelled(self._clock())
            client = self.client(practitioner_id, booking.client_id)
            transaction = self._transactions.begin()
            self._records.change_booking(transaction, booking, after)
            if booking.series_id and (series := self._records.series(booking.series_id)):
                self._records.save_series(transaction, series.give_back(), series.used)
            self._notices.tell(transaction, "booking_cancelled", after, practitioner, client, client_too=True)
            transaction.commit()
            return after

        return self._retried(attempt)

    def mark_attended(self, practitioner_id: str, booking_id: str) -> Booking:
        """The appointment took place: the series' invoice line is due, and the EHF invoice to the insurer is made
        and stored through the outbox, in the same transaction, so it is made once and never lost (R-BKG-4)."""
        self.practitioner(practitioner_id)

        def attempt() -> Booking:
            booking = self._booking(practitioner_id, booking_id)
            now = self._clock()
            if now < booking.starts_at:
                raise InvalidRequest(NOT_YET_HELD, field="booking_id")
            after = booking.attended(now)
            transaction = self._transactions.begin()
            self._records.change_booking(transaction, booking, after)
            if after.series_id:
                self._outbox.stage(
                    transaction,
                    OutboxMessage(
                        key=f"booking:{booking_id}:invoice",
                        kind=MAKE_INVOICE,
                        payload={"practitioner_id": practitioner_id, "booking_id": booking_id},
                        correlation_id=booking_id,
                    ),
                )
            transaction.commit()
            return after

        return self._retried(attempt)

    def invoice(self, practitioner_id: str, booking_id: str) -> Invoice:
        """The invoice of an attended appointment, as the relay makes it."""
        booking = self._booking(practitioner_id, booking_id)
        series = self._records.series(booking.series_id) if booking.series_id else None
        if series is None:
            raise NotFound(NO_SUCH_SERIES, field="series_id")
        return invoice_for(booking, series, self.practitioner(practitioner_id))

    def deliver_invoice(self, payload: dict[str, str]) -> None:
        """Makes the EHF document and stores it for the access point; a retry stores the same bytes again."""
        invoice = self.invoice(payload["practitioner_id"], payload["booking_id"])
        self._documents.store(invoice.document_key, ehf_invoice(invoice))

    def calendar(self, practitioner_id: str, first_day: date, days: int = 1) -> list[Booking]:
        """The practitioner's bookings of a day (or a week, days=7), in Norwegian time, cancelled ones left out."""
        self.practitioner(practitioner_id)
        start = datetime.combine(first_day, time(0), CALENDAR_ZONE)
        end = datetime.combine(first_day + timedelta(days=days), time(0), CALENDAR_ZONE)
        return [
            booking for booking in self._records.bookings_between(practitioner_id, start, end) if booking.holds_time
        ]

    def booking(self, practitioner_id: str, booking_id: str) -> Booking:
        """The practitioner's own booking; another practitioner's is not found."""
        return self._booking(practitioner_id, booking_id)

    def _booking(self, practitioner_id: str, booking_id: str) -> Booking:
        booking = self._records.booking(practitioner_id, booking_id)
        if booking is None:
            raise NotFound(NO_SUCH_BOOKING, field="booking_id")
        return booking

    @staticmethod
    def _retried(attempt: Callable[[], T]) -> T:
        """Runs `attempt` again from a fresh read when its commit lost a race."""
        for _ in range(ATTEMPTS):
            try:
                return attempt()
            except ConcurrentChange:
                continue
        raise InProgress(BUSY)
