"""SMS through SNS, for one-time codes (implements signing's `TextMessages`, R-ORD-4)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient


class SnsTextMessages:
    """Builds its client on first use: only the API sends codes, and a client costs cold-start time."""

    def __init__(self, client: Callable[[], SNSClient]) -> None:
        self._make_client = client

    @cached_property
    def _client(self) -> SNSClient:
        return self._make_client()

    def send(self, phone_number: str, text: str) -> None:
        self._client.publish(
            PhoneNumber=phone_number,
            Message=text,
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            },
        )
