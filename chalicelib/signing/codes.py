"""Drawing and checking one-time codes (R-ORD-4): the randomness and the hashing, beside the model, which keeps
what a challenge allows."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from chalicelib.signing.model import CodeChallenge


def issue(
    purpose: str, signer_id: str, now: datetime, ttl: timedelta, previous: CodeChallenge | None
) -> tuple[CodeChallenge, str]:
    """A fresh six-digit code and its challenge, which stores it only as a salted hash."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    salt = secrets.token_hex(16)
    challenge = CodeChallenge.issue(purpose, signer_id, now, ttl, previous, salt=salt, code_hash=_digest(salt, code))
    return challenge, code


def check(challenge: CodeChallenge, code: str, now: datetime, max_attempts: int) -> bool:
    """True when `code` is right, compared in constant time. Raises when no attempt is left or it has expired."""
    challenge.require_usable(now, max_attempts)
    return hmac.compare_digest(challenge.code_hash, _digest(challenge.salt, code))


def _digest(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()
