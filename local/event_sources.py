"""The deployed stage's event source mappings, run in a thread: the table's stream and the outbox's retry
queue feed the relay function, as Lambda feeds it on AWS (infra/ declares the real ones).

What they keep from AWS: stream records reach the relay in order, in batches, filtered to inserted outbox
items; a batch item failure is retried from that record on, a few times, then the batch is set aside (the
on-failure destination); queue messages come a batch at a time and a failed one comes back after its
visibility timeout. Dev-only: never shipped.
"""

from __future__ import annotations

import json
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3

from chalicelib.adapters.dynamo.notifications import OUTBOX_PREFIX

STREAM_BATCH = 10
QUEUE_BATCH = 10
# As the deployed stream mapping's MaximumRetryAttempts; waits are short here so tests stay fast.
STREAM_RETRIES = 5
STREAM_RETRY_WAIT_SECONDS = 0.2
QUEUE_VISIBILITY_SECONDS = 2
IDLE_SECONDS = 0.02


@dataclass
class EventSources:
    """Feeds `relay` (a Lambda handler run through the dispatcher) from the stream and the queue."""

    relay: Callable[[dict[str, Any]], Any]
    read_stream: Callable[[int], list[dict[str, Any]]]  # the table's stream records from a position on
    retry_queue_url: str
    dead_letter_queue_url: str
    region: str
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    # The stage's schedules: (function, every so many seconds), run from the time the sources start.
    schedules: list[tuple[Callable[[], Any], float]] = field(default_factory=list)
    _pending: list[dict[str, Any]] = field(default_factory=list)
    _position: int = 0
    _failures: int = 0
    _due: list[float] = field(default_factory=list)
    # Other queues and the function each feeds (the booking events queue and its processor).
    queues: list[tuple[str, Callable[[dict[str, Any]], Any]]] = field(default_factory=list)
    # Whether a queue holds a message that a receive would return now (read from the queue itself, as Lambda's
    # poller long-polls): an idle queue costs no ReceiveMessage call every few milliseconds. None: always ask.
    ready: Callable[[str], bool] | None = None

    def start(self) -> None:
        self._sqs = boto3.client("sqs", region_name=self.region)
        self._due = [time.monotonic() + every for _, every in self.schedules]
        self._thread = threading.Thread(target=self._run, name="event-sources", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self._pump_stream()
                busy = self._pump_queue(self.retry_queue_url, self.relay) or busy
                for queue_url, function in self.queues:
                    busy = self._pump_queue(queue_url, function) or busy
                self._run_schedules()
            except Exception:  # noqa: BLE001 - an event source keeps polling whatever one poll met
                traceback.print_exc()
                busy = False
            if not busy:
                self._stop.wait(IDLE_SECONDS)

    def _run_schedules(self) -> None:
        now = time.monotonic()
        for position, (run, every) in enumerate(self.schedules):
            if now >= self._due[position]:
                self._due[position] = now + every
                run()

    # --- the table's stream ----------------------------------------------------------------------

    def _pump_stream(self) -> bool:
        records = self.read_stream(self._position)
        self._position += len(records)
        self._pending += [record for record in records if _is_new_outbox_item(record)]
        if not self._pending:
            return False
        batch = self._pending[:STREAM_BATCH]
        failed_from = self._invoke_in_order(batch)
        if failed_from is None:
            del self._pending[: len(batch)]
            self._failures = 0
            return True
        del self._pending[:failed_from]  # done up to the failed record; retried from there
        self._failures += 1
        if self._failures > STREAM_RETRIES:
            self._set_aside(self._pending[: len(batch) - failed_from])
            del self._pending[: len(batch) - failed_from]
            self._failures = 0
        else:
            time.sleep(STREAM_RETRY_WAIT_SECONDS * self._failures)
        return True

    def _invoke_in_order(self, batch: list[dict[str, Any]]) -> int | None:
        """The position of the first record to try again, or None when the whole batch is done."""
        try:
            result = self.relay({"Records": batch})
        except Exception:  # noqa: BLE001 - a failed invocation fails the whole batch, as on AWS
            return 0
        failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
        for position, record in enumerate(batch):
            if record["dynamodb"]["SequenceNumber"] in failed:
                return position
        return None

    def _set_aside(self, records: list[dict[str, Any]]) -> None:
        """The on-failure destination: what AWS sends is the batch's position in the stream, not its items."""
        sequence = [record["dynamodb"]["SequenceNumber"] for record in records]
        body = {"requestContext": {"condition": "RetryAttemptsExhausted"}, "DDBStreamBatchInfo": sequence}
        self._sqs.send_message(QueueUrl=self.dead_letter_queue_url, MessageBody=json.dumps(body))

    # --- the retry queue -------------------------------------------------------------------------

    def _pump_queue(self, queue_url: str, function: Callable[[dict[str, Any]], Any]) -> bool:
        if self.ready is not None and not self.ready(queue_url):
            return False
        messages = self._sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=QUEUE_BATCH, VisibilityTimeout=QUEUE_VISIBILITY_SECONDS
        ).get("Messages", [])
        if not messages:
            return False
        records = [
            {
                "eventSource": "aws:sqs",
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
            }
            for m in messages
        ]
        try:
            result = function({"Records": records})
            failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
        except Exception:  # noqa: BLE001 - every message of the batch comes back after its visibility timeout
            return True
        for record in records:
            if record["messageId"] not in failed:
                self._sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=record["receiptHandle"])
        return True


def scheduled_event(rule: str, account: str, region: str) -> dict[str, Any]:
    """What an EventBridge schedule hands its function."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{account}:rule/{rule}"],
        "detail": {},
    }


def _is_new_outbox_item(record: dict[str, Any]) -> bool:
    """The deployed mapping's filter: inserts of items whose key starts with OUTBOX#."""
    keys = record.get("dynamodb", {}).get("Keys", {})
    return record.get("eventName") == "INSERT" and str(keys.get("pk", {}).get("S", "")).startswith(OUTBOX_PREFIX)
