"""Approval links and one-time codes (R-ORD-4, R-ORD-5): what is random, what is stored, what is checked."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel

from .errors import AlreadyDone, Expired, InvalidRequest, NotAllowed, TooManyAttempts
from .model import Step


class ApprovalStatus(StrEnum):
    OPEN = "open"
    DECIDED = "decided"
    SUPERSEDED = "superseded"


def new_approval_id() -> str:
    """192 random bits: the only secret in an approval link. Only its hash is stored."""
    return secrets.token_urlsafe(24)


def approval_key(approval_id: str) -> str:
    return hashlib.sha256(approval_id.encode()).hexdigest()


class CodeChallenge(BaseModel):
    """A one-time code sent to the attester at the moment of attesting, stored only as a salted hash."""

    salt: str
    code_hash: str
    expires_at: datetime
    attempts: int = 0

    @classmethod
    def issue(cls, now: datetime, ttl: timedelta) -> tuple[CodeChallenge, str]:
        code = f"{secrets.randbelow(1_000_000):06d}"
        salt = secrets.token_hex(16)
        return cls(salt=salt, code_hash=_digest(salt, code), expires_at=now + ttl), code

    def check(self, code: str, now: datetime, max_attempts: int) -> bool:
        """True when `code` is right. Raises when no attempt is left or the code has expired."""
        if self.attempts >= max_attempts:
            raise TooManyAttempts("Too many wrong codes. Ask for a new code.", field="one_time_code")
        if now >= self.expires_at:
            raise Expired("The code has expired. Ask for a new code.", field="one_time_code")
        return hmac.compare_digest(self.code_hash, _digest(self.salt, code))


def _digest(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def require_code(code: str | None) -> str:
    if code is None:
        raise InvalidRequest("Attestation needs the one-time code sent to your phone.", field="one_time_code")
    return code


class Approval(BaseModel):
    """One decision step waiting for its assignees, behind one opaque link (R-ORD-5, R-ORD-6)."""

    key: str
    order_id: str
    step: Step
    assignees: list[str]
    status: ApprovalStatus = ApprovalStatus.OPEN
    created_at: datetime
    expires_at: datetime
    challenge: CodeChallenge | None = None
    challenge_for: str | None = None
    codes_sent: int = 0
    decided_by: str | None = None
    outcome: str | None = None
    delivered: bool = False

    def require_assignee(self, user_id: str) -> None:
        if user_id not in self.assignees:
            raise NotAllowed("This decision is addressed to someone else.")

    def require_open(self, now: datetime) -> None:
        if self.status is ApprovalStatus.SUPERSEDED:
            raise Expired("This link has been replaced by a newer one. Use the latest e-mail.")
        if self.status is ApprovalStatus.DECIDED:
            raise AlreadyDone("This step has already been decided.")
        if now >= self.expires_at:
            raise Expired("This link has expired.")
