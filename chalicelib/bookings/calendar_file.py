"""The calendar file a client's invitation carries (R-BKG-5): one event in Norwegian time, with the zone's rules
(VTIMEZONE) so every calendar shows the time the practitioner booked, and a UID that stays the booking's, so a
moved appointment's new file replaces the old one instead of adding another."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar, Event, Timezone

from chalicelib.bookings.model import CALENDAR_ZONE, Booking, Practitioner

PRODUCT = "-//Service ordering//Bookings//NB"


def uid_of(booking: Booking) -> str:
    return f"{booking.booking_id}@bookings.{booking.practitioner_id}"


def invitation(booking: Booking, practitioner: Practitioner) -> bytes:
    """The appointment as an iCalendar (RFC 5545) request; the same booking and version give the same bytes."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    start = booking.starts_at.astimezone(CALENDAR_ZONE)
    end = booking.ends_at.astimezone(CALENDAR_ZONE)
    calendar.add_component(
        Timezone.from_tzinfo(CALENDAR_ZONE, first_date=start.date() - timedelta(days=366), last_date=end.date())
    )
    event = Event()
    event.add("uid", uid_of(booking))
    event.add("sequence", booking.version - 1)
    event.add("dtstamp", booking.updated_at)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", f"{booking.service.name} – {practitioner.business.name}")
    address = practitioner.business.address
    event.add("location", f"{address.street}, {address.postcode} {address.city}")
    event.add("organizer", f"mailto:{practitioner.email}", parameters={"cn": practitioner.name})
    event.add("status", "CONFIRMED")
    calendar.add_component(event)
    return bytes(calendar.to_ical())
