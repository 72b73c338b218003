"""Partner events' signatures (R-BKG-1): HMAC-SHA256 over `<timestamp>.<raw body>`, five minutes either way, and
the example docs/bookings.md gives, signature included."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.bookings.partners import PartnerEvent, check_signature, signature
from chalicelib.shared.errors import InvalidRequest, NotSignedIn
from local.practice import PARTNER_SECRET

DOCS = Path(__file__).resolve().parents[2] / "docs" / "bookings.md"
SIGNED_AT = 1764590400
NOW = datetime.fromtimestamp(SIGNED_AT, UTC)


def documented() -> tuple[bytes, str]:
    text = DOCS.read_text()
    example = re.search(r"```json\n(.*?)```", text, re.S)
    stated = re.search(r"the signature is\n`(v1=[0-9a-f]{64})`", text)
    assert example and stated
    return json.dumps(json.loads(example[1]), separators=(",", ":")).encode(), stated[1]


def test_the_documented_example_is_a_valid_event_with_the_signature_the_docs_state():
    body, stated = documented()
    assert PartnerEvent.model_validate(json.loads(body)).type == "booking.created"
    assert signature(PARTNER_SECRET.encode(), str(SIGNED_AT), body) == stated
    check_signature(PARTNER_SECRET.encode(), str(SIGNED_AT), body, stated, NOW)


def test_a_changed_byte_a_wrong_secret_or_no_secret_is_a_bad_signature():
    body, stated = documented()
    for secret, sent_body in ((PARTNER_SECRET.encode(), body + b" "), (b"another", body), (None, body)):
        with pytest.raises(NotSignedIn) as refused:
            check_signature(secret, str(SIGNED_AT), sent_body, stated, NOW)
        assert refused.value.code == "bookings.bad_signature"


@pytest.mark.parametrize("off", [timedelta(minutes=5, seconds=1), -timedelta(minutes=5, seconds=1)])
def test_a_timestamp_more_than_five_minutes_off_is_stale(off: timedelta):
    body, stated = documented()
    with pytest.raises(NotSignedIn) as refused:
        check_signature(PARTNER_SECRET.encode(), str(SIGNED_AT), body, stated, NOW + off)
    assert refused.value.field == "X-Signature-Timestamp"
    check_signature(PARTNER_SECRET.encode(), str(SIGNED_AT), body, stated, NOW + off / 2)  # within: accepted


def test_an_event_without_the_parts_its_type_needs_is_refused_naming_the_part():
    body, _ = documented()
    event = json.loads(body)
    event["type"] = "case.opened"
    with pytest.raises(InvalidRequest) as refused:
        PartnerEvent.model_validate(event)
    assert refused.value.field == "case"
