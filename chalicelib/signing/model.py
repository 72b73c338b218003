"""One-time codes (R-ORD-4): what is stored of a code and what a challenge allows (how many codes, for how long,
how many attempts). Drawing a code and hashing it are `signing/codes.py`'s."""

from __future__ import annotations

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
        cls,
        purpose: str,
        signer_id: str,
        now: datetime,
        ttl: timedelta,
        previous: CodeChallenge | None,
        *,
        salt: str,
        code_hash: str,
    ) -> CodeChallenge:
        """A fresh challenge that replaces any earlier one; the number of codes per purpose is limited."""
        codes_sent = (previous.codes_sent if previous else 0) + 1
        if codes_sent > MAX_CODES_PER_PURPOSE:
            raise TooManyAttempts(TOO_MANY_CODES)
        return cls(
            purpose=purpose,
            signer_id=signer_id,
            salt=salt,
            code_hash=code_hash,
            expires_at=now + ttl,
            codes_sent=codes_sent,
        )

    def require_usable(self, now: datetime, max_attempts: int) -> None:
        """Raises when no attempt is left or the code has expired."""
        if self.attempts >= max_attempts:
            raise TooManyAttempts(TOO_MANY_WRONG_CODES, field="one_time_code")
        if now >= self.expires_at:
            raise Expired(CODE_EXPIRED, field="one_time_code")


def masked(phone: str) -> str:
    return f"{'•' * max(len(phone) - 3, 0)}{phone[-3:]}"
