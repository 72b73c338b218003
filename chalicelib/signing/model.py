"""One-time codes (R-ORD-4): what is random, what is stored, what is checked."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from pydantic import ConfigDict

from chalicelib.shared.deferred import Model
from chalicelib.shared.errors import Expired, TooManyAttempts
from chalicelib.signing.reasons import CODE_EXPIRED, TOO_MANY_CODES, TOO_MANY_WRONG_CODES

MAX_CODES_PER_PURPOSE = 5


class CodeChallenge(Model):
    """The latest code sent for one purpose (one decision step), stored only as a salted hash."""

    model_config = ConfigDict(extra="forbid")

    purpose: str
    signer_id: str
    salt: str
    code_hash: str
    expires_at: datetime
    attempts: int = 0
    codes_sent: int = 1

    @classmethod
    def issue(
        cls, purpose: str, signer_id: str, now: datetime, ttl: timedelta, previous: CodeChallenge | None
    ) -> tuple[CodeChallenge, str]:
        """A fresh code that replaces any earlier one; the number of codes per purpose is limited."""
        codes_sent = (previous.codes_sent if previous else 0) + 1
        if codes_sent > MAX_CODES_PER_PURPOSE:
            raise TooManyAttempts(TOO_MANY_CODES)
        code = f"{secrets.randbelow(1_000_000):06d}"
        salt = secrets.token_hex(16)
        challenge = cls(
            purpose=purpose,
            signer_id=signer_id,
            salt=salt,
            code_hash=_digest(salt, code),
            expires_at=now + ttl,
            codes_sent=codes_sent,
        )
        return challenge, code

    def check(self, code: str, now: datetime, max_attempts: int) -> bool:
        """True when `code` is right. Raises when no attempt is left or the code has expired."""
        if self.attempts >= max_attempts:
            raise TooManyAttempts(TOO_MANY_WRONG_CODES, field="one_time_code")
        if now >= self.expires_at:
            raise Expired(CODE_EXPIRED, field="one_time_code")
        return hmac.compare_digest(self.code_hash, _digest(self.salt, code))


def _digest(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


def masked(phone: str) -> str:
    return f"{'•' * max(len(phone) - 3, 0)}{phone[-3:]}"
