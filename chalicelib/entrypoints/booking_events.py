"""The handler that applies the kept partner events (R-BKG-1) from the booking events queue, a Lambda function of
its own; entrypoints/bookings.py receives them."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from chalice.app import Blueprint

from chalicelib.bootstrap import container
from chalicelib.manifest import PROCESS_BOOKING_EVENTS
from chalicelib.observability import correlate, logger, metrics, publish_metrics

booking_events = Blueprint(__name__)


# Fed by the booking events queue (infra/stacks/bookings.py), with a role of its own (infra/stacks/functions.py).
@booking_events.lambda_function(name=PROCESS_BOOKING_EVENTS.name)
def process_booking_events(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Applies each queued event; reports those the queue must offer again (ReportBatchItemFailures)."""
    failures: list[dict[str, str]] = []
    try:
        for record in event.get("Records", []):
            try:
                queued = json.loads(record["body"])
                correlate(str(queued["event_id"]))
                status = container().intake.process(str(queued["partner_id"]), str(queued["event_id"]))
                logger.info("Partner event applied", extra={"status": status.value})
                if status.value == "parked":
                    metrics.add_metric(name="PartnerEventsParked", unit=MetricUnit.Count, value=1)
            except Exception as error:  # noqa: BLE001 - whatever failed, the queue offers it again
                logger.warning("Partner event failed; the queue tries it again", extra={"error": type(error).__name__})
                metrics.add_metric(name="PartnerEventFailures", unit=MetricUnit.Count, value=1)
                failures.append({"itemIdentifier": record["messageId"]})
    finally:
        publish_metrics()
        correlate(None)
    return {"batchItemFailures": failures}
