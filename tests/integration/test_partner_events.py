"""Partner events over HTTP on the embedded AWS (R-BKG-1, R-BKG-2, R-BKG-3): signed, kept first and once,
answered 202, applied from the queue with retries; nothing accepted is lost, nothing is done twice."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.bookings.commands import NewClient
from chalicelib.bookings.intake import PartnerIntake, inbound_booking_id
from chalicelib.bookings.model import BookingSource, ClientSource
from chalicelib.bookings.partners import EventStatus, InboundEvent
from chalicelib.bootstrap import container
from local.embedded_aws import EmbeddedAws
from local.partner import PATH, booking_created, signed
from local.people import HttpAnswer, OverHttp
from local.practice import INSURER, PARTNER_ID, PARTNER_SECRET, PHYSIOTHERAPY, PRACTITIONER, case
from tests.leaks import Secrets

PIA = PRACTITIONER.practitioner_id


@pytest.fixture(autouse=True)
def partner_secret_is_a_secret(handed_out: Secrets) -> None:
    handed_out.session_secrets.add(PARTNER_SECRET)  # no log line may hold it


def deliver(served: str, event: dict[str, Any], **signing: Any) -> HttpAnswer:
    body, headers = signed(event, **signing)
    return OverHttp(served).request("POST", PATH, headers, body)


def answer_of(reply: HttpAnswer) -> dict[str, Any]:
    return dict(json.loads(reply.body))


def kept(event_id: str, until: EventStatus | None = None, timeout: float = 30.0) -> InboundEvent:
    """The event as kept, waiting until it has left `received` (or reached `until`)."""
    deadline = time.monotonic() + timeout
    while True:
        found = container().adapters.inbound_events.event(PARTNER_ID, event_id)
        done = found is not None and (found.status is until if until else found.status is not EventStatus.RECEIVED)
        if done or time.monotonic() > deadline:
            assert found is not None, event_id
            return found
        time.sleep(0.05)


def a_free_time() -> datetime:
    """A time no other test books: the embedded calendar lasts the whole session."""
    return datetime(2027, 1, 4, 7, 0, tzinfo=UTC) + timedelta(
        days=uuid.uuid4().int % 700, minutes=5 * (uuid.uuid4().int % 100)
    )


def a_case(maximum: int = 10) -> str:
    """An insurer case of its own: a series belongs to one client."""
    insurer_case = case(f"SAK-{uuid.uuid4().hex[:10]}", maximum)
    transaction = container().adapters.transactions.begin()
    container().adapters.booking_records.put_case(transaction, insurer_case, None)
    transaction.commit()
    return insurer_case.case_id


def a_new_client() -> dict[str, Any]:
    number = uuid.uuid4().int % 1_000_000  # in the name too: the practitioner's mails are told apart by it
    return {"name": f"Ola Nordmann {number}", "email": f"ola.{number}.{uuid.uuid4().hex[:6]}@example.org"}


def test_r_bkg_1_2_3_an_inbound_booking_for_a_new_client_lands_in_the_calendar_and_the_practitioner_is_told(
    served: str, aws: EmbeddedAws
):
    client = a_new_client()
    case_id = a_case()
    event = booking_created(case_id, a_free_time(), client)
    reply = deliver(served, event)
    assert reply.status_code == 202, reply.body
    assert answer_of(reply) == {"event_id": event["event_id"], "status": "received", "duplicate": False}
    assert kept(event["event_id"]).status is EventStatus.PROCESSED
    booking_id = inbound_booking_id(PARTNER_ID, event["booking"]["booking_id"])
    booking = container().adapters.booking_records.booking(PIA, booking_id)
    assert booking is not None and booking.source is BookingSource.INBOUND and booking.series_id == case_id
    made = container().adapters.booking_records.client_by_email(PIA, client["email"])
    assert made is not None and made.source is ClientSource.INBOUND  # R-BKG-3
    mails = aws.emails_to(PRACTITIONER.email, client["name"])  # R-BKG-2, in Norwegian
    assert any("Bookingen ligger i kalenderen din" in mail["body"] for mail in mails)


def test_r_bkg_3_an_inbound_booking_for_a_known_client_finds_them_by_identity_number(served: str):
    number = "55108695071"  # a D-number
    known = container().bookings.client_for(
        PIA, NewClient(name="Kjent Klient", email=f"{uuid.uuid4().hex[:8]}@example.org", identity_number=number)
    )
    event = booking_created(a_case(), a_free_time(), {"name": "K. Klient", "identity_number": number})
    assert deliver(served, event).status_code == 202
    stored = kept(event["event_id"])
    assert stored.status is EventStatus.PROCESSED
    assert number not in json.dumps(stored.model_dump(mode="json"))  # kept as its hash and masked form only
    booking = container().adapters.booking_records.booking(
        PIA, inbound_booking_id(PARTNER_ID, event["booking"]["booking_id"])
    )
    assert booking is not None and booking.client_id == known.client_id


def test_the_same_event_delivered_twice_is_kept_and_applied_once(served: str):
    case_id = a_case()
    event = booking_created(case_id, a_free_time(), a_new_client())
    first = deliver(served, event, at=time.time() - 1)
    again = deliver(served, event)  # signed anew, as a partner retrying does
    assert (first.status_code, again.status_code) == (202, 202)
    assert answer_of(again)["duplicate"] is True
    assert kept(event["event_id"]).status is EventStatus.PROCESSED
    series = container().bookings.series_view(PIA, case_id)
    assert [b.booking_id for b in series.bookings].count(
        inbound_booking_id(PARTNER_ID, event["booking"]["booking_id"])
    ) == 1


def test_the_same_event_delivered_ten_times_at_once_makes_one_booking_and_one_mail(served: str, aws: EmbeddedAws):
    client = a_new_client()
    starts_at = a_free_time()
    event = booking_created(a_case(), starts_at, client)
    now = time.time()
    replies: list[HttpAnswer] = []
    barrier = threading.Barrier(10)

    def one(offset: int) -> None:
        barrier.wait()
        replies.append(deliver(served, event, at=now - offset))

    threads = [threading.Thread(target=one, args=(offset,)) for offset in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(reply.status_code for reply in replies) == [202] * 10, [r.body for r in replies]
    assert sum(1 for reply in replies if not answer_of(reply)["duplicate"]) == 1
    assert kept(event["event_id"]).status is EventStatus.PROCESSED
    day = container().bookings.calendar(PIA, starts_at.date(), days=2)
    assert len([b for b in day if b.starts_at == starts_at]) == 1
    assert len(aws.emails_to(PRACTITIONER.email, client["name"])) == 1
    time.sleep(1)  # a second mail would have left by now
    assert len(aws.emails_to(PRACTITIONER.email, client["name"], timeout=0)) == 1


def test_a_wrong_signature_and_an_unknown_partner_are_refused_alike(served: str):
    event = booking_created(a_case())
    wrong = deliver(served, event, secret="not the partner's secret")
    unknown = deliver(served, event, partner_id="nobody-we-know")
    for reply in (wrong, unknown):
        assert reply.status_code == 401
        assert answer_of(reply)["code"] == "bookings.bad_signature"
    assert container().adapters.inbound_events.event(PARTNER_ID, event["event_id"]) is None


def test_a_stale_signature_is_refused(served: str):
    event = booking_created(a_case())
    for offset in (-6 * 60, 6 * 60):  # six minutes old, or six minutes ahead
        reply = deliver(served, event, at=time.time() + offset)
        assert reply.status_code == 401
        assert answer_of(reply)["errors"][0]["field"] == "X-Signature-Timestamp"
    assert container().adapters.inbound_events.event(PARTNER_ID, event["event_id"]) is None


def test_a_replayed_request_is_refused(served: str):
    event = booking_created(a_case(), a_free_time(), a_new_client())
    body, headers = signed(event)
    first = OverHttp(served).request("POST", PATH, headers, body)
    replayed = OverHttp(served).request("POST", PATH, headers, body)
    assert first.status_code == 202
    assert replayed.status_code == 401 and answer_of(replayed)["code"] == "bookings.signature_reused"


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        (lambda e: e["booking"].pop("starts_at"), "booking.starts_at", 422),
        (lambda e: e["booking"].__setitem__("minutes", "45"), "booking.minutes", 400),
        (lambda e: e.__setitem__("type", "booking.deleted"), "type", 400),
        (lambda e: e["client"].__setitem__("identity_number", "15089012358"), "client.identity_number", 422),
        (lambda e: e.__setitem__("surprise", True), "surprise", 400),
    ],
)
def test_a_malformed_event_is_refused_naming_the_field(served: str, change: Any, field: str, status: int):
    event = booking_created(a_case(), a_free_time(), {"name": "X", "identity_number": "15089012357"})
    change(event)
    reply = deliver(served, event)
    assert reply.status_code == status, reply.body
    assert field in [problem["field"] for problem in answer_of(reply)["errors"]]
    assert container().adapters.inbound_events.event(PARTNER_ID, event["event_id"]) is None


def test_processing_that_fails_three_times_then_succeeds_applies_the_event_once(
    served: str, monkeypatch: pytest.MonkeyPatch
):
    event = booking_created(a_case(), a_free_time(), a_new_client())
    calls: list[str] = []
    apply = PartnerIntake._apply

    def flaky(self: PartnerIntake, stored: InboundEvent) -> None:
        if stored.event_id == event["event_id"]:
            calls.append(stored.event_id)
            if len(calls) <= 3:
                raise ConnectionError("the table is out of reach for a moment")
        apply(self, stored)

    monkeypatch.setattr(PartnerIntake, "_apply", flaky)
    assert deliver(served, event).status_code == 202
    assert kept(event["event_id"], timeout=60).status is EventStatus.PROCESSED
    assert len(calls) == 4
    booking_id = inbound_booking_id(PARTNER_ID, event["booking"]["booking_id"])
    assert container().adapters.booking_records.booking(PIA, booking_id) is not None


def test_processing_that_keeps_failing_lands_in_the_dead_letter_queue(
    served: str, aws: EmbeddedAws, monkeypatch: pytest.MonkeyPatch
):
    event = booking_created(a_case(), a_free_time(), a_new_client())
    apply = PartnerIntake._apply

    def broken(self: PartnerIntake, stored: InboundEvent) -> None:
        if stored.event_id == event["event_id"]:
            raise ConnectionError("the table is out of reach")
        apply(self, stored)

    monkeypatch.setattr(PartnerIntake, "_apply", broken)
    assert deliver(served, event).status_code == 202
    sqs = aws.client("sqs")
    dead_letters = aws.environment["BOOKING_EVENTS_DEAD_LETTER_QUEUE_URL"]
    deadline = time.monotonic() + 60
    found: list[dict[str, Any]] = []
    while not found and time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=dead_letters, MaxNumberOfMessages=10, VisibilityTimeout=0).get(
            "Messages", []
        )
        found = [m for m in messages if json.loads(m["Body"])["event_id"] == event["event_id"]]
        time.sleep(0.2)
    assert found, "the event never reached the dead-letter queue"
    assert kept(event["event_id"], until=EventStatus.RECEIVED).status is EventStatus.RECEIVED  # kept, not lost


def test_an_event_for_an_unknown_case_is_parked_for_operations(served: str, aws: EmbeddedAws):
    event = booking_created("SAK-NOBODY-KNOWS", a_free_time(), a_new_client())
    assert deliver(served, event).status_code == 202
    stored = kept(event["event_id"])
    assert stored.status is EventStatus.PARKED and stored.parked_reason == "bookings.no_such_case"
    assert aws.emails_to(aws.environment["OPERATIONS_EMAIL"], event["event_id"])


def test_r_bkg_4_an_insurer_case_opened_and_changed_by_event_sets_the_series(served: str):
    case_id = f"SAK-{uuid.uuid4().hex[:10]}"
    opened: dict[str, Any] = {
        "event_id": f"evt-{uuid.uuid4().hex}",
        "type": "case.opened",
        "occurred_at": datetime.now(UTC).isoformat(),
        "case": {
            "case_id": case_id,
            "practitioner_id": PIA,
            "insurer": {
                "insurer_id": INSURER.insurer_id,
                "name": INSURER.name,
                "organisation_number": INSURER.party.organisation_number,
                "vat_number": INSURER.party.vat_number,
                "address": {"street": "Forsikringsveien 10", "postcode": "0250", "city": "Oslo"},
            },
            "service": PHYSIOTHERAPY.model_dump(),
            "max_appointments": 2,
        },
    }
    assert deliver(served, opened).status_code == 202
    assert kept(opened["event_id"]).status is EventStatus.PROCESSED
    booked = booking_created(case_id, a_free_time(), a_new_client())
    assert deliver(served, booked).status_code == 202
    assert kept(booked["event_id"]).status is EventStatus.PROCESSED
    changed = {**opened, "event_id": f"evt-{uuid.uuid4().hex}", "type": "case.changed"}
    changed["case"] = {**opened["case"], "max_appointments": 8}
    assert deliver(served, changed).status_code == 202
    assert kept(changed["event_id"]).status is EventStatus.PROCESSED
    series = container().adapters.booking_records.series(case_id)
    assert series is not None and (series.max_appointments, series.used, series.left) == (8, 1, 7)
