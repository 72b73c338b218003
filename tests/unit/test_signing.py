"""Approval links and one-time codes (R-ORD-4, R-ORD-5), without AWS."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.approvals.links import approval_id, approval_key
from chalicelib.approvals.model import (
    MAX_RESENDS_PER_ASSIGNEE,
    Approval,
    ApprovalStatus,
    SubjectRef,
    require_resend_allowed,
    resends_left,
)
from chalicelib.shared.errors import AlreadyDone, Expired, NotAllowed, TooManyAttempts
from chalicelib.shared.links import new_link_seed
from chalicelib.signing import codes

from .fixtures import NOW

SECRET = b"the stage's link secret"


def test_approval_ids_are_random_long_and_stored_only_as_a_hash():
    seeds = {new_link_seed() for _ in range(1000)}
    ids = {approval_id(SECRET, seed) for seed in seeds}
    assert len(ids) == 1000
    assert all(len(i) == 32 for i in ids)  # 192 bits, base64url
    some_seed = seeds.pop()
    some = approval_id(SECRET, some_seed)
    assert approval_key(some) != some and len(approval_key(some)) == 64


def test_an_approval_id_is_made_again_only_with_the_secret():
    """The table keeps the seed and the id's hash: without the stage's secret, neither opens a link."""
    seed = new_link_seed()
    assert approval_id(SECRET, seed) == approval_id(SECRET, seed)
    assert approval_id(b"another secret", seed) != approval_id(SECRET, seed)
    assert seed not in approval_id(SECRET, seed)


def test_a_code_is_six_digits_stored_salted_and_checked_in_constant_time():
    challenge, code = codes.issue("step", "adam", NOW, timedelta(minutes=5), None)
    assert len(code) == 6 and code.isdigit()
    assert code not in challenge.model_dump_json()
    assert codes.check(challenge, code, NOW, max_attempts=5)
    assert not codes.check(challenge, f"{(int(code) + 1) % 1_000_000:06d}", NOW, max_attempts=5)


def test_a_code_expires_and_attempts_run_out():
    challenge, code = codes.issue("step", "adam", NOW, timedelta(minutes=5), None)
    with pytest.raises(Expired):
        codes.check(challenge, code, NOW + timedelta(minutes=5), max_attempts=5)
    challenge.attempts = 5
    with pytest.raises(TooManyAttempts):
        codes.check(challenge, code, NOW, max_attempts=5)


def test_an_approval_is_for_its_assignees_and_only_while_open():
    approval = Approval(
        key="k",
        link_seed="s",
        subject=SubjectRef(kind="order", subject_id="o", step="customer_attestation"),
        assignees=["adam"],
        needs_signature=True,
        created_at=NOW,
        expires_at=NOW + timedelta(days=7),
    )
    approval.require_assignee("adam")
    with pytest.raises(NotAllowed):
        approval.require_assignee("olivia")
    approval.require_open(NOW)
    with pytest.raises(Expired):
        approval.require_open(NOW + timedelta(days=7))
    approval.status = ApprovalStatus.DECIDED
    with pytest.raises(AlreadyDone):
        approval.require_open(NOW)
    approval.status = ApprovalStatus.SUPERSEDED
    with pytest.raises(Expired):
        approval.require_open(NOW)


def test_a_request_mail_is_sent_again_a_few_times_only():
    """R-ORD-6: enough for a lost mail, not a way to flood an inbox."""
    assert [resends_left(n) for n in range(MAX_RESENDS_PER_ASSIGNEE + 2)] == [3, 2, 1, 0, 0]
    for n in range(MAX_RESENDS_PER_ASSIGNEE):
        require_resend_allowed(n)
    with pytest.raises(TooManyAttempts) as refused:
        require_resend_allowed(MAX_RESENDS_PER_ASSIGNEE)
    assert refused.value.code == "approvals.too_many_resends" and refused.value.params == {"limit": 3}
