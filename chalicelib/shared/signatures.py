"""How a signature was made: a value the signing context produces and an order's history records (R-ORD-4)."""

from __future__ import annotations

from enum import StrEnum


class SigningMethod(StrEnum):
    SMS_ONE_TIME_CODE = "sms_one_time_code"
