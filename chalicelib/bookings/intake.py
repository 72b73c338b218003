"""Partner events in (R-BKG-1, R-BKG-2, R-BKG-3): checked, kept first and once, then processed from the queue.

Nothing accepted is lost: an event is answered 202 only once it is stored, in one transaction with the outbox
message that queues it; processing is retried by the queue and set aside in its dead-letter queue; an event
that cannot be applied (an unknown practitioner or case, a time already taken) is parked for operations.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import suppress
from typing import TypeVar

from chalicelib.bookings.commands import BookAppointment, MoveBooking
from chalicelib.bookings.model import (
    BookingSource,
    BookingStatus,
    ClientSource,
    Insurer,
    InsurerCase,
    Party,
    PostalAddress,
    Service,
    organisation_number,
    vat_number,
)
from chalicelib.bookings.partners import (
    SIGNATURE_TOLERANCE,
    EventCase,
    EventStatus,
    EventType,
    InboundEvent,
    PartnerEvent,
    check_signature,
    signature_used,
)
from chalicelib.bookings.ports import BookingRecords, InboundEvents, PartnerSecrets
from chalicelib.bookings.reasons import CASE_OF_ANOTHER_INSURER, EVENT_NEEDS_PART, NO_SUCH_BOOKING, NO_SUCH_CASE
from chalicelib.bookings.services import BookingService
from chalicelib.notifications.ports import Notification, Notifier, Outbox, OutboxMessage, Recipient
from chalicelib.shared.errors import InvalidRequest, NotFound
from chalicelib.shared.time import Clock
from chalicelib.shared.transactions import ConcurrentChange, Transactions

# The outbox message that hands a kept event to the processing queue.
QUEUE_EVENT = "bookings.event"


T = TypeVar("T")


def _needed(value: T | None, field: str, event: PartnerEvent) -> T:
    if value is None:
        raise InvalidRequest(EVENT_NEEDS_PART, field=field, type=event.type)
    return value


def inbound_booking_id(partner_id: str, booking_id: str) -> str:
    """Our id of a partner's booking: the same in every event about it, and in every delivery of one."""
    return f"bk-{hashlib.sha256(f'{partner_id}:{booking_id}'.encode()).hexdigest()[:16]}"


class PartnerIntake:
    def __init__(
        self,
        secrets: PartnerSecrets,
        events: InboundEvents,
        records: BookingRecords,
        bookings: BookingService,
        outbox: Outbox,
        notifier: Notifier,
        transactions: Transactions,
        clock: Clock,
        operations_email: str,
    ) -> None:
        self._secrets = secrets
        self._events = events
        self._records = records
        self._bookings = bookings
        self._outbox = outbox
        self._notifier = notifier
        self._transactions = transactions
        self._clock = clock
        self._operations_email = operations_email

    def receive(
        self, partner_id: str, timestamp: str, sent_signature: str, raw_body: bytes, event: PartnerEvent
    ) -> tuple[InboundEvent, bool]:
        """Checks the signature and keeps the event; returns it and whether it had been received before. The
        same event delivered again (signed anew) is the first; a reused signature is refused."""
        now = self._clock()
        check_signature(self._secrets.secret(partner_id), timestamp, raw_body, sent_signature, now)
        if not self._events.first_use_of_signature(partner_id, sent_signature, now + 2 * SIGNATURE_TOLERANCE):
            raise signature_used(sent_signature)
        document = event.model_dump(mode="json")
        identity = None
        if event.client and event.client.identity_number:
            identity = self._bookings.identify(event.client.identity_number, "client.identity_number")
            document["client"]["identity_number"] = None  # R-BKG-3: kept only as its hash and masked form
        body_hash = hashlib.sha256(
            json.dumps([document, identity[0] if identity else None], sort_keys=True).encode()
        ).hexdigest()
        inbound = InboundEvent(
            partner_id=partner_id,
            event_id=event.event_id,
            type=EventType(event.type),
            body_hash=body_hash,
            event=document,
            identity_hash=identity[0] if identity else None,
            identity_masked=identity[1] if identity else None,
            received_at=now,
        )
        stored = self._events.event(partner_id, event.event_id)
        if stored is not None:
            stored.same_as(inbound)
            return stored, True
        transaction = self._transactions.begin()
        self._events.add_event(transaction, inbound)
        self._outbox.stage(
            transaction,
            OutboxMessage(
                key=f"partner-event:{partner_id}:{event.event_id}",
                kind=QUEUE_EVENT,
                payload={"partner_id": partner_id, "event_id": event.event_id},
                correlation_id=event.event_id,
            ),
        )
        try:
            transaction.commit()
        except ConcurrentChange:  # the same event, delivered at the same moment
            stored = self._events.event(partner_id, event.event_id)
            if stored is None:
                raise
            stored.same_as(inbound)
            return stored, True
        return inbound, False

    def process(self, partner_id: str, event_id: str) -> EventStatus:
        """Applies a kept event once. A refusal of the rules parks it for operations; anything else raises, and
        the queue tries it again."""
        stored = self._events.event(partner_id, event_id)
        if stored is None:
            raise LookupError("a queued event that was never kept")
        if stored.status is not EventStatus.RECEIVED:
            return stored.status
        try:
            self._apply(stored)
        except (InvalidRequest, NotFound) as refused:
            self._park(stored, refused.code)
            return EventStatus.PARKED
        transaction = self._transactions.begin()
        self._events.save_event(
            transaction, stored.model_copy(update={"status": EventStatus.PROCESSED}), EventStatus.RECEIVED
        )
        with suppress(ConcurrentChange):  # processed at the same moment by another delivery of the message
            transaction.commit()
        return EventStatus.PROCESSED

    def _apply(self, stored: InboundEvent) -> None:
        event = PartnerEvent.model_validate(stored.event)
        if event.case is not None and stored.type in (EventType.CASE_OPENED, EventType.CASE_CHANGED):
            self._apply_case(event.case)
            return
        booking = _needed(event.booking, "booking", event)  # PartnerEvent holds each type to its parts
        practitioner_id = booking.practitioner_id
        self._bookings.practitioner(practitioner_id)  # unknown: parked
        booking_id = inbound_booking_id(stored.partner_id, booking.booking_id)
        if stored.type is EventType.BOOKING_CREATED:
            sent_client = _needed(event.client, "client", event)
            case_id = _needed(booking.case_id, "booking.case_id", event)
            starts_at = _needed(booking.starts_at, "booking.starts_at", event)
            case = self._records.insurer_case(case_id)
            if case is None or case.practitioner_id != practitioner_id:
                raise NotFound(NO_SUCH_CASE, field="booking.case_id")
            identity = (
                (stored.identity_hash, stored.identity_masked)
                if stored.identity_hash and stored.identity_masked
                else None
            )
            client = self._bookings.client_identified(
                practitioner_id, sent_client.name, sent_client.email, identity, source=ClientSource.INBOUND
            )
            series = self._bookings.series_for_case(practitioner_id, client.client_id, case_id)
            command = BookAppointment(
                client_id=client.client_id,
                series_id=series.series_id,
                starts_at=starts_at,
                minutes=booking.minutes,
            )
            self._bookings.book(practitioner_id, command, BookingSource.INBOUND, booking_id=booking_id)
            return
        current = self._records.booking(practitioner_id, booking_id)
        if current is None:
            raise NotFound(NO_SUCH_BOOKING, field="booking.booking_id")
        if stored.type is EventType.BOOKING_MOVED:
            starts_at = _needed(booking.starts_at, "booking.starts_at", event)
            minutes = booking.minutes or current.minutes
            if (current.starts_at, current.minutes) != (starts_at, minutes):  # not moved there already
                self._bookings.move(practitioner_id, booking_id, MoveBooking(starts_at=starts_at, minutes=minutes))
        elif current.status is not BookingStatus.CANCELLED:
            self._bookings.cancel(practitioner_id, booking_id)

    def _apply_case(self, sent: EventCase) -> None:
        """R-BKG-4: a case opened or changed by the insurer; its series, if opened, follows it."""
        self._bookings.practitioner(sent.practitioner_id)
        insurer = Insurer(
            insurer_id=sent.insurer.insurer_id,
            party=Party(
                name=sent.insurer.name,
                organisation_number=organisation_number(
                    sent.insurer.organisation_number, "case.insurer.organisation_number"
                ),
                address=PostalAddress(
                    street=sent.insurer.address.street,
                    postcode=sent.insurer.address.postcode,
                    city=sent.insurer.address.city,
                ),
                vat_number=vat_number(sent.insurer.vat_number, "case.insurer.vat_number")
                if sent.insurer.vat_number
                else None,
            ),
        )
        case = InsurerCase(
            case_id=sent.case_id,
            insurer=insurer,
            practitioner_id=sent.practitioner_id,
            service=Service.model_validate(sent.service.model_dump()),
            max_appointments=sent.max_appointments,
            status=sent.status,
            updated_at=self._clock(),
        )
        for _ in range(5):
            previous = self._records.insurer_case(sent.case_id)
            if previous is not None and previous.insurer.insurer_id != insurer.insurer_id:
                raise InvalidRequest(CASE_OF_ANOTHER_INSURER, field="case.case_id")
            if previous is not None and previous.model_copy(update={"updated_at": case.updated_at}) == case:
                return  # as it is already
            transaction = self._transactions.begin()
            self._records.put_case(transaction, case, previous)
            series = self._records.series(sent.case_id)
            if series is not None:
                self._records.save_series(transaction, series.updated_from(case), series.used)
            try:
                transaction.commit()
                return
            except ConcurrentChange:
                continue
        raise ConcurrentChange("the case kept changing")

    def _park(self, stored: InboundEvent, reason: str) -> None:
        """Kept for operations with the reason, and operations told: an event is never dropped."""
        parked = stored.model_copy(update={"status": EventStatus.PARKED, "parked_reason": reason})
        transaction = self._transactions.begin()
        self._events.save_event(transaction, parked, EventStatus.RECEIVED)
        self._notifier.notify(
            transaction,
            Notification(
                key=f"partner-event:{stored.partner_id}:{stored.event_id}:parked",
                template="booking_event_parked",
                recipients=(Recipient(self._operations_email, language="en"),),
                context={
                    "partner_id": stored.partner_id,
                    "event_id": stored.event_id,
                    "type": stored.type.value,
                    "reason": reason,
                    "received_at": stored.received_at.isoformat(),
                },
                correlation_id=stored.event_id,
            ),
        )
        with suppress(ConcurrentChange):  # parked or processed by another delivery meanwhile
            transaction.commit()
