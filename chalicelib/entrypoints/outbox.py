"""The outbox relay: delivers what each change staged (mails, answers to waiting tasks, workflow starts),
fed by the table's stream and by the retry queue. Deployed with this module as its handler."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from chalice.app import Blueprint

from chalicelib.bootstrap import container
from chalicelib.manifest import DELIVER_OUTBOX
from chalicelib.notifications.ports import OutboxMessage
from chalicelib.observability import correlate, logger, metrics, publish_metrics

outbox = Blueprint(__name__)


def delivering(message: OutboxMessage) -> None:
    correlate(message.correlation_id)
    logger.info("Delivering", extra={"kind": message.kind})


def failed(message: OutboxMessage, error: Exception) -> None:
    # The payload is never logged: it holds names, addresses and link seeds.
    logger.warning(
        "Delivery failed; it is tried again later", extra={"kind": message.kind, "error": type(error).__name__}
    )
    metrics.add_metric(name="OutboxDeliveryFailures", unit=MetricUnit.Count, value=1)


@outbox.lambda_function(name=DELIVER_OUTBOX.name)
def deliver_outbox(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Reports the deliveries its feed must offer again (the event sources' ReportBatchItemFailures)."""
    try:
        again = container().relay.relay(event, failed, delivering)
    finally:
        publish_metrics()
        correlate(None)
    return {"batchItemFailures": [{"itemIdentifier": receipt} for receipt in again]}
