"""SMS through SNS, for one-time codes (R-ORD-4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient


class SmsSender:
    def __init__(self, client: SNSClient) -> None:
        self._client = client

    def send(self, phone_number: str, text: str) -> None:
        self._client.publish(
            PhoneNumber=phone_number,
            Message=text,
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            },
        )
