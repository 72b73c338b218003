"""One Logger, Metrics and Tracer for every handler (Powertools)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "service-orders"
NAMESPACE = "ServiceOrders"

logger = Logger(service=SERVICE)
metrics = Metrics(service=SERVICE, namespace=NAMESPACE)
tracer = Tracer(service=SERVICE)


def publish_metrics() -> None:
    """Flushes what a handler recorded. Clears even when metrics are disabled (locally), where Powertools
    would otherwise keep every value for the life of the process."""
    if metrics.metric_set:
        metrics.flush_metrics()
        metrics.clear_metrics()
