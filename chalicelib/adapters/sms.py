"""SMS through SNS, for one-time codes (implements signing's `TextMessages`, R-ORD-4)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient


class SnsTextMessages:
    """Builds its client on first use: only the API sends codes, and a client costs cold-start time.

    `smoke_test` is (phone number, topic ARN): a text to that number, the smoke test's attester's, is published to
    the topic, where `make smoke` reads it, instead of to a phone (docs/deploy.md, "Smoke test")."""

    def __init__(self, client: Callable[[], SNSClient], smoke_test: tuple[str, str] | None = None) -> None:
        self._make_client = client
        self._smoke_test = smoke_test

    @cached_property
    def _client(self) -> SNSClient:
        return self._make_client()

    def send(self, phone_number: str, text: str) -> None:
        if self._smoke_test is not None and phone_number == self._smoke_test[0]:
            self._client.publish(TopicArn=self._smoke_test[1], Message=text)
            return
        self._client.publish(
            PhoneNumber=phone_number,
            Message=text,
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            },
        )
