"""Signing with a one-time code sent by SMS at the moment of deciding (R-ORD-4)."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.shared.errors import InvalidRequest
from chalicelib.shared.i18n import N_, texts
from chalicelib.shared.time import Clock
from chalicelib.shared.transactions import Transaction
from chalicelib.signing import codes
from chalicelib.signing.model import masked
from chalicelib.signing.ports import Challenges, Signature, SigningMethod, SigningRequest, TextMessages
from chalicelib.signing.reasons import ASK_FOR_CODE_FIRST, CODE_MISSING, NO_PHONE, WRONG_CODE


class SmsCodeSigner:
    method = SigningMethod.SMS_ONE_TIME_CODE

    def __init__(
        self, challenges: Challenges, texts: TextMessages, clock: Clock, code_ttl: timedelta, max_attempts: int
    ) -> None:
        self._challenges = challenges
        self._texts = texts
        self._clock = clock
        self._code_ttl = code_ttl
        self._max_attempts = max_attempts

    def start(self, request: SigningRequest) -> dict[str, str]:
        """A fresh code, by SMS; it replaces any earlier one. It is stored (and counted toward the limit) only
        once the SMS has left: a send that fails costs the person none of their codes."""
        phone = request.signer.phone
        if not phone:
            raise InvalidRequest(NO_PHONE)
        challenge, code = codes.issue(
            request.purpose,
            request.signer.user_id,
            self._clock(),
            self._code_ttl,
            self._challenges.get(request.purpose),
        )
        minutes = int(self._code_ttl.total_seconds() // 60)
        words = texts(request.signer.language)  # the SMS in the signer's language, as their mail is
        what = words.gettext(request.description).format(**request.params)
        message = words.gettext(N_("{code} is your code to {what}. It is valid for {minutes} minutes. Never share it."))
        self._texts.send(phone, message.format(code=code, what=what, minutes=minutes))
        self._challenges.put(challenge)
        return {"sent_to": masked(phone), "expires_at": challenge.expires_at.isoformat()}

    def verify(self, transaction: Transaction, request: SigningRequest, proof: str | None) -> Signature:
        if proof is None:
            raise InvalidRequest(CODE_MISSING, field="one_time_code")
        challenge = self._challenges.get(request.purpose)
        if challenge is None or challenge.signer_id != request.signer.user_id:
            raise InvalidRequest(ASK_FOR_CODE_FIRST, field="one_time_code")
        now = self._clock()
        if not codes.check(challenge, proof, now, self._max_attempts):
            self._challenges.count_wrong_attempt(request.purpose)
            left = self._max_attempts - challenge.attempts - 1
            raise InvalidRequest(WRONG_CODE, field="one_time_code", left=left)
        self._challenges.consume(transaction, request.purpose)
        return Signature(method=self.method, signer_id=request.signer.user_id, signed_at=now)
