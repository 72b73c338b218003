"""Bookings' items (docs/data-model.md): a practitioner's partition holds their profile, clients, the lookups a
client is found by, bookings and the five-minute marks of their time; insurer cases and series have their own."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from chalicelib.adapters.dynamo.schema import GSI1, GSI2
from chalicelib.adapters.dynamo.table import DynamoTable, Item, staged, without_bookkeeping
from chalicelib.bookings.model import Booking, Client, InsurerCase, Practitioner, Series, comparable_email
from chalicelib.bookings.partners import EventStatus, InboundEvent
from chalicelib.shared.transactions import Transaction

NEW = "attribute_not_exists(pk)"


def practitioner_partition(practitioner_id: str) -> str:
    return f"PRACTITIONER#{practitioner_id}"


def client_key(practitioner_id: str, client_id: str) -> Item:
    return {"pk": practitioner_partition(practitioner_id), "sk": f"CLIENT#{client_id}"}


def identity_lookup_key(practitioner_id: str, identity_hash: str) -> Item:
    return {"pk": practitioner_partition(practitioner_id), "sk": f"CLIENTBY#IDENTITY#{identity_hash}"}


def email_lookup_key(practitioner_id: str, email: str) -> Item:
    # The address only as a hash: a key may reach places (metrics, error messages) an attribute does not.
    digest = hashlib.sha256(comparable_email(email).encode()).hexdigest()
    return {"pk": practitioner_partition(practitioner_id), "sk": f"CLIENTBY#EMAIL#{digest}"}


def case_key(case_id: str) -> Item:
    return {"pk": f"INSURERCASE#{case_id}", "sk": "CASE"}


def series_key(series_id: str) -> Item:
    return {"pk": f"SERIES#{series_id}", "sk": "SERIES"}


def booking_key(practitioner_id: str, booking_id: str) -> Item:
    return {"pk": practitioner_partition(practitioner_id), "sk": f"BOOKING#{booking_id}"}


def slot_key(practitioner_id: str, slot: str) -> Item:
    return {"pk": practitioner_partition(practitioner_id), "sk": f"SLOT#{slot}"}


def _calendar_position(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def booking_item(booking: Booking) -> Item:
    position = f"{_calendar_position(booking.starts_at)}#{booking.booking_id}"
    item: Item = {
        **booking_key(booking.practitioner_id, booking.booking_id),
        "entity": "booking",
        GSI1.partition_key: f"{practitioner_partition(booking.practitioner_id)}#CALENDAR",
        GSI1.sort_key: position,
        **booking.model_dump(mode="json"),
    }
    if booking.series_id:
        item[GSI2.partition_key] = f"SERIES#{booking.series_id}#BOOKINGS"
        item[GSI2.sort_key] = position
    return item


class DynamoBookingRecords:
    """Implements bookings' `BookingRecords` on the application table."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    # --- practitioners and clients ------------------------------------------------------------------------

    def practitioner(self, practitioner_id: str) -> Practitioner | None:
        item = self._table.get({"pk": practitioner_partition(practitioner_id), "sk": "PROFILE"})
        return Practitioner.model_validate(without_bookkeeping(item)) if item else None

    def put_practitioner(self, practitioner: Practitioner) -> None:
        self._table.put(
            {
                "pk": practitioner_partition(practitioner.practitioner_id),
                "sk": "PROFILE",
                "entity": "practitioner",
                **practitioner.model_dump(mode="json"),
            }
        )

    def client(self, practitioner_id: str, client_id: str) -> Client | None:
        item = self._table.get(client_key(practitioner_id, client_id))
        return Client.model_validate(without_bookkeeping(item)) if item else None

    def client_by_identity(self, practitioner_id: str, identity_hash: str) -> Client | None:
        return self._looked_up(identity_lookup_key(practitioner_id, identity_hash), practitioner_id)

    def client_by_email(self, practitioner_id: str, email: str) -> Client | None:
        return self._looked_up(email_lookup_key(practitioner_id, email), practitioner_id)

    def _looked_up(self, key: Item, practitioner_id: str) -> Client | None:
        lookup = self._table.get(key)
        return self.client(practitioner_id, str(lookup["client_id"])) if lookup else None

    def add_client(self, transaction: Transaction, client: Client) -> None:
        writes = staged(transaction)
        writes.put(
            {
                **client_key(client.practitioner_id, client.client_id),
                "entity": "client",
                **client.model_dump(mode="json"),
            },
            NEW,
        )
        lookups = [
            *([identity_lookup_key(client.practitioner_id, client.identity_hash)] if client.identity_hash else []),
            *([email_lookup_key(client.practitioner_id, client.email)] if client.email else []),
        ]
        for key in lookups:
            writes.put({**key, "entity": "client_lookup", "client_id": client.client_id}, NEW)

    # --- insurer cases and series ----------------------------------------------------------------------

    def insurer_case(self, case_id: str) -> InsurerCase | None:
        item = self._table.get(case_key(case_id))
        return InsurerCase.model_validate(without_bookkeeping(item)) if item else None

    def put_case(self, transaction: Transaction, case: InsurerCase, previous: InsurerCase | None) -> None:
        item = {**case_key(case.case_id), "entity": "insurer_case", **case.model_dump(mode="json")}
        if previous is None:
            staged(transaction).put(item, NEW)
        else:
            staged(transaction).put(
                item, "updated_at = :previous", {":previous": previous.model_dump(mode="json")["updated_at"]}
            )

    def series(self, series_id: str) -> Series | None:
        item = self._table.get(series_key(series_id))
        return Series.model_validate(without_bookkeeping(item)) if item else None

    def series_of_client(self, practitioner_id: str, client_id: str) -> list[Series]:
        partition = f"{practitioner_partition(practitioner_id)}#CLIENT#{client_id}#SERIES"
        return [
            Series.model_validate(without_bookkeeping(item)) for item in self._table.query_all(partition, index=GSI1)
        ]

    def _series_item(self, series: Series) -> Item:
        return {
            **series_key(series.series_id),
            "entity": "series",
            GSI1.partition_key: f"{practitioner_partition(series.practitioner_id)}#CLIENT#{series.client_id}#SERIES",
            GSI1.sort_key: f"{series.created_at.isoformat()}#{series.series_id}",
            **series.model_dump(mode="json"),
        }

    def add_series(self, transaction: Transaction, series: Series) -> None:
        staged(transaction).put(self._series_item(series), NEW)

    def save_series(self, transaction: Transaction, series: Series, used_before: int) -> None:
        staged(transaction).put(self._series_item(series), "used = :used", {":used": used_before})

    # --- the calendar ----------------------------------------------------------------------------------

    def booking(self, practitioner_id: str, booking_id: str) -> Booking | None:
        item = self._table.get(booking_key(practitioner_id, booking_id))
        return Booking.model_validate(without_bookkeeping(item)) if item else None

    def bookings_between(self, practitioner_id: str, start: datetime, end: datetime) -> list[Booking]:
        # `end` is excluded: a booking starting at `end` sorts after "<end>#", the upper bound.
        between = (_calendar_position(start), f"{_calendar_position(end)}#")
        items = self._table.query_all(
            f"{practitioner_partition(practitioner_id)}#CALENDAR", index=GSI1, sort_between=between
        )
        bookings = [Booking.model_validate(without_bookkeeping(item)) for item in items]
        return [booking for booking in bookings if booking.starts_at < end]

    def bookings_of_series(self, series_id: str) -> list[Booking]:
        items = self._table.query_all(f"SERIES#{series_id}#BOOKINGS", index=GSI2)
        return [Booking.model_validate(without_bookkeeping(item)) for item in items]

    def time_taken(self, practitioner_id: str, slots: list[str], but: str | None = None) -> bool:
        for slot in slots:
            item = self._table.get(slot_key(practitioner_id, slot))
            if item is not None and item["booking_id"] != but:
                return True
        return False

    def add_booking(self, transaction: Transaction, booking: Booking) -> None:
        writes = staged(transaction)
        writes.put(booking_item(booking), NEW)
        for slot in booking.slots:
            writes.put(self._slot_item(booking, slot), NEW)

    def change_booking(self, transaction: Transaction, before: Booking, after: Booking) -> None:
        writes = staged(transaction)
        writes.put(booking_item(after), "version = :version", {":version": before.version})
        held = set(before.slots) if before.holds_time else set()
        wanted = set(after.slots) if after.holds_time else set()
        for slot in sorted(held - wanted):
            writes.delete(slot_key(after.practitioner_id, slot))
        for slot in sorted(wanted - held):
            writes.put(self._slot_item(after, slot), NEW)

    @staticmethod
    def _slot_item(booking: Booking, slot: str) -> Item:
        return {**slot_key(booking.practitioner_id, slot), "entity": "slot", "booking_id": booking.booking_id}


def signature_key(partner_id: str, signature: str) -> Item:
    return {"pk": f"PARTNERSIG#{hashlib.sha256(f'{partner_id}:{signature}'.encode()).hexdigest()}", "sk": "SIGNATURE"}


def partner_event_key(partner_id: str, event_id: str) -> Item:
    return {"pk": f"PARTNEREVENT#{partner_id}#{event_id}", "sk": "EVENT"}


class DynamoInboundEvents:
    """Implements bookings' `InboundEvents`: each event under the partner's id for it, each signature once."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def first_use_of_signature(self, partner_id: str, signature: str, kept_until: datetime) -> bool:
        return self._table.put(
            {
                **signature_key(partner_id, signature),
                "entity": "partner_signature",
                "expires_at_epoch": int(kept_until.timestamp()),
            },
            NEW,
        )

    def event(self, partner_id: str, event_id: str) -> InboundEvent | None:
        item = self._table.get(partner_event_key(partner_id, event_id))
        return InboundEvent.model_validate(without_bookkeeping(item)) if item else None

    def _item(self, event: InboundEvent) -> Item:
        return {
            **partner_event_key(event.partner_id, event.event_id),
            "entity": "partner_event",
            **event.model_dump(mode="json"),
        }

    def add_event(self, transaction: Transaction, event: InboundEvent) -> None:
        staged(transaction).put(self._item(event), NEW)

    def save_event(self, transaction: Transaction, event: InboundEvent, status_before: EventStatus) -> None:
        staged(transaction).put(
            self._item(event), "#status = :before", {":before": status_before.value}, names={"#status": "status"}
        )
