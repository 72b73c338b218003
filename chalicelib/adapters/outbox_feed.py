"""Where the relay's messages come from: the table's stream, in order (DynamoDB Streams), and the retry
queue, one by one (SQS). A failed message goes to the retry queue with a growing delay and, after its last
attempt, to the dead-letter queue operations are alarmed on."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from functools import cached_property
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.dynamo.notifications import message_from_stream_image
from chalicelib.notifications.ports import Batch, Delivery, OutboxMessage

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

SQS_DELAY_LIMIT_SECONDS = 900


class StreamAndQueueFeed:
    def __init__(
        self,
        client: Callable[[], SQSClient],
        retry_queue_url: str,
        dead_letter_queue_url: str,
        first_delay_seconds: int,
        max_attempts: int,
    ) -> None:
        self._make_client = client
        self._retry_queue_url = retry_queue_url
        self._dead_letter_queue_url = dead_letter_queue_url
        self._first_delay_seconds = first_delay_seconds
        self._max_attempts = max_attempts

    @cached_property
    def _client(self) -> SQSClient:
        return self._make_client()

    def batch(self, event: dict[str, Any]) -> Batch:
        records = event.get("Records", [])
        if records and records[0].get("eventSource") == "aws:sqs":
            return Batch([self._from_queue(record) for record in records], in_order=False)
        deliveries = []
        for record in records:
            # The event source mapping passes only inserts of outbox items; this holds without it too.
            if record.get("eventName") != "INSERT":
                continue
            message = message_from_stream_image(record["dynamodb"].get("NewImage", {}))
            if message is not None:
                deliveries.append(Delivery(message, receipt=str(record["dynamodb"]["SequenceNumber"])))
        return Batch(deliveries, in_order=True)

    @staticmethod
    def _from_queue(record: dict[str, Any]) -> Delivery:
        body = json.loads(record["body"])
        return Delivery(
            OutboxMessage(**body["message"]), receipt=str(record["messageId"]), attempt=int(body["attempt"])
        )

    def try_again_later(self, delivery: Delivery) -> None:
        attempt = delivery.attempt + 1
        body = json.dumps({"message": asdict(delivery.message), "attempt": attempt})
        if attempt > self._max_attempts:
            self._client.send_message(QueueUrl=self._dead_letter_queue_url, MessageBody=body)
            return
        delay = min(self._first_delay_seconds * 2 ** (attempt - 2), SQS_DELAY_LIMIT_SECONDS)
        self._client.send_message(QueueUrl=self._retry_queue_url, MessageBody=body, DelaySeconds=delay)
