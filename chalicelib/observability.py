"""One Logger and Metrics for every handler (Powertools).

No tracer in the code: Lambda's and Step Functions' active tracing records every invocation and AWS call
without the X-Ray SDK (in maintenance mode, 84 ms of each cold start, botocore in the package), and the
correlation id on every log line and metric ties them to the order. OpenTelemetry, where a stage wants it, is
the ADOT Lambda layer, switched on per stage in the environment config (docs/decisions.md, 2026-12-01)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

from chalicelib.manifest import APP_NAME, METRICS_NAMESPACE

logger = Logger(service=APP_NAME)
metrics = Metrics(service=APP_NAME, namespace=METRICS_NAMESPACE)


def correlate(order_id: str | None) -> None:
    """The order this thread's following log lines are about (R-ORD-8); None ends it. Kept per thread, not on
    the logger: the local product runs requests, tasks and the outbox relay in threads of one process, where one
    thread's keys would otherwise land on another's lines."""
    logger.thread_safe_append_keys(correlation_id=order_id)


def in_request(route: str, method: str) -> None:
    """The route pattern and method on this thread's log lines until `request_done`."""
    logger.thread_safe_append_keys(route=route, method=method)


def request_done() -> None:
    logger.thread_safe_clear_keys()


def publish_metrics() -> None:
    """Flushes what a handler recorded. Clears even when metrics are disabled (locally), where Powertools
    would otherwise keep every value for the life of the process. The order's correlation id goes with them as
    metadata (R-ORD-8), so a metric leads to the order's log lines and trace."""
    if metrics.metric_set:
        correlation_id = logger.thread_safe_get_current_keys().get("correlation_id")
        if correlation_id:
            metrics.add_metadata(key="correlation_id", value=correlation_id)
        metrics.flush_metrics()
        metrics.clear_metrics()
