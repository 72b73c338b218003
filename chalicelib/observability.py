"""One Logger, Metrics and Tracer for every handler (Powertools)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

from chalicelib.manifest import APP_NAME, METRICS_NAMESPACE

logger = Logger(service=APP_NAME)
metrics = Metrics(service=APP_NAME, namespace=METRICS_NAMESPACE)
tracer = Tracer(service=APP_NAME)


def publish_metrics() -> None:
    """Flushes what a handler recorded. Clears even when metrics are disabled (locally), where Powertools
    would otherwise keep every value for the life of the process."""
    if metrics.metric_set:
        metrics.flush_metrics()
        metrics.clear_metrics()
