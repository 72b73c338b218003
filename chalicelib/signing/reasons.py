"""Why a signature is refused."""

from __future__ import annotations

from chalicelib.shared.errors import Reason

CODE_MISSING = Reason("signing.code_missing", "Attestation needs the one-time code sent to your phone.")
ASK_FOR_CODE_FIRST = Reason("signing.ask_for_code_first", "Ask for a one-time code first.")
WRONG_CODE = Reason("signing.wrong_code", "Wrong code. {left} attempt(s) left.")
TOO_MANY_WRONG_CODES = Reason("signing.too_many_wrong_codes", "Too many wrong codes. Ask for a new code.")
CODE_EXPIRED = Reason("signing.code_expired", "The code has expired. Ask for a new code.")
NO_PHONE = Reason("signing.no_phone", "No mobile number is registered for you; ask your administrator.")
TOO_MANY_CODES = Reason("signing.too_many_codes", "Too many codes were requested for this step.")
