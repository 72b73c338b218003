"""What partner events need outside the table: each partner's signing secret (Secrets Manager) and the queue
kept events are processed from (SQS, with its dead-letter queue)."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient

CACHED_SECONDS = 300  # a rotated secret is taken up within five minutes


class SecretsManagerPartnerSecrets:
    """Implements bookings' `PartnerSecrets`: the secret `<prefix><partner id>`. The value is never logged, and
    an unknown partner is told nothing more than a wrong signature is."""

    def __init__(self, client: Callable[[], SecretsManagerClient], prefix: str) -> None:
        self._make_client = client
        self._prefix = prefix

    @cached_property
    def _provider(self) -> SecretsProvider:
        return SecretsProvider(boto3_client=self._make_client())

    def secret(self, partner_id: str) -> bytes | None:
        try:
            value = self._provider.get(f"{self._prefix}{partner_id}", max_age=CACHED_SECONDS)
        except GetParameterError:
            return None
        if not value:
            return None
        return value if isinstance(value, bytes) else str(value).encode()


class SqsBookingEventQueue:
    """Implements bookings' `BookingEventQueue`. The queue's redrive policy (infra) sets events that keep failing
    aside in its dead-letter queue, which operations are alarmed on."""

    def __init__(self, client: Callable[[], SQSClient], queue_url: str) -> None:
        self._make_client = client
        self._queue_url = queue_url

    @cached_property
    def _client(self) -> SQSClient:
        return self._make_client()

    def send(self, payload: dict[str, str]) -> None:
        if not self._queue_url:
            raise LookupError("no booking events queue is configured (BOOKING_EVENTS_QUEUE_URL)")
        self._client.send_message(QueueUrl=self._queue_url, MessageBody=json.dumps(payload, sort_keys=True))
