"""Partner events over in-memory fakes (R-BKG-1, R-BKG-2, R-BKG-3): checked, kept once, applied once, and what
the rules refuse parked for operations, never dropped."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.bookings.intake import inbound_booking_id
from chalicelib.bookings.partners import EventStatus, PartnerEvent
from chalicelib.shared.errors import InvalidRequest, NotSignedIn
from local.partner import booking_created, signed
from local.practice import CLIENT_IDENTITY_NUMBER, PARTNER_ID, PARTNER_SECRET, PRACTITIONER
from tests.fakes.world import OPERATIONS, World

STARTS_AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def partner(world: World) -> World:
    world.partner_secrets.secrets[PARTNER_ID] = PARTNER_SECRET.encode()
    return world


def receive(world: World, event: dict[str, Any], **signing: Any) -> tuple[Any, bool]:
    body, headers = signed(event, at=world.clock.now.timestamp(), **signing)
    return world.app.intake.receive(
        headers["X-Partner-Id"],
        headers["X-Signature-Timestamp"],
        headers["X-Signature"],
        body,
        PartnerEvent.model_validate(json.loads(body)),
    )


def process(world: World) -> None:
    """What the relay and the queue do: the kept events are queued, then each applied."""
    world.flush()
    for queued in world.booking_events.sent:
        world.app.intake.process(queued["partner_id"], queued["event_id"])
    world.booking_events.sent.clear()
    world.flush()


def test_r_bkg_1_2_3_a_booking_event_is_kept_queued_and_applied_once(partner: World):
    event = booking_created("SAK-2026-1001", STARTS_AT)
    kept, duplicate = receive(partner, event)
    assert (kept.status, duplicate) == (EventStatus.RECEIVED, False)
    assert CLIENT_IDENTITY_NUMBER not in json.dumps(kept.model_dump(mode="json"))
    partner.clock.advance(seconds=1)
    again, duplicate = receive(partner, event)  # delivered again, signed anew
    assert duplicate and again.event_id == kept.event_id
    process(partner)
    assert partner.inbound_events.events[(PARTNER_ID, event["event_id"])].status is EventStatus.PROCESSED
    booking_id = inbound_booking_id(PARTNER_ID, event["booking"]["booking_id"])
    assert partner.booking_records.booking(PRACTITIONER.practitioner_id, booking_id) is not None
    assert len(partner.mail.to(PRACTITIONER.email)) == 1
    assert len(partner.booking_records.clients) == 1


def test_a_reused_signature_a_wrong_one_and_another_event_under_the_same_id_are_refused(partner: World):
    event = booking_created("SAK-2026-1001", STARTS_AT)
    receive(partner, event)
    with pytest.raises(NotSignedIn) as replayed:
        receive(partner, event)  # the same second: the same signature
    assert replayed.value.code == "bookings.signature_reused"
    with pytest.raises(NotSignedIn):
        receive(partner, booking_created(), secret="a guess")
    partner.clock.advance(seconds=1)
    other = {**event, "booking": {**event["booking"], "minutes": 30}}
    with pytest.raises(InvalidRequest) as reused:
        receive(partner, other)
    assert reused.value.field == "event_id"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"practitioner_id": "nobody.practitioner"}, "bookings.no_such_practitioner"),
        ({"case_id": "SAK-UNKNOWN"}, "bookings.no_such_case"),
    ],
)
def test_an_event_for_an_unknown_practitioner_or_case_is_parked_and_operations_told(
    partner: World, change: dict[str, str], reason: str
):
    event = booking_created("SAK-2026-1001", STARTS_AT)
    event["booking"].update(change)
    receive(partner, event)
    process(partner)
    stored = partner.inbound_events.events[(PARTNER_ID, event["event_id"])]
    assert (stored.status, stored.parked_reason) == (EventStatus.PARKED, reason)
    [mail] = partner.mail.to(OPERATIONS)
    assert event["event_id"] in mail.text
    assert partner.booking_records.bookings == {}


def test_a_booking_moved_then_cancelled_by_events_frees_its_time_and_gives_the_appointment_back(partner: World):
    created = booking_created("SAK-2026-1002", STARTS_AT)
    receive(partner, created)
    process(partner)
    reference = {"booking_id": created["booking"]["booking_id"], "practitioner_id": PRACTITIONER.practitioner_id}
    moved = {
        "event_id": "evt-moved-1",
        "type": "booking.moved",
        "occurred_at": "2026-11-23T09:00:00+00:00",
        "booking": {**reference, "starts_at": "2026-11-26T10:00:00+01:00"},
    }
    partner.clock.advance(seconds=1)
    receive(partner, moved)
    process(partner)
    booking_id = inbound_booking_id(PARTNER_ID, reference["booking_id"])
    booking = partner.booking_records.booking(PRACTITIONER.practitioner_id, booking_id)
    assert booking is not None and booking.starts_at == datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    assert partner.booking_records.series_by_id["SAK-2026-1002"].used == 1
    cancelled = {**moved, "event_id": "evt-cancelled-1", "type": "booking.cancelled", "booking": reference}
    partner.clock.advance(seconds=1)
    receive(partner, cancelled)
    process(partner)
    assert partner.booking_records.series_by_id["SAK-2026-1002"].used == 0
    assert not partner.booking_records.time_taken(PRACTITIONER.practitioner_id, booking.slots)
    subjects = [mail.subject for mail in partner.mail.to("kari.nordmann@example.org")]
    assert len(subjects) == 2 and subjects[0].startswith("Timen din er flyttet")  # the client is told, in Norwegian
    assert all(
        partner.inbound_events.events[(PARTNER_ID, e)].status is EventStatus.PROCESSED
        for e in (created["event_id"], "evt-moved-1", "evt-cancelled-1")
    )
