"""One Logger, Metrics and Tracer for every handler (Powertools)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

from chalicelib.manifest import APP_NAME, METRICS_NAMESPACE

logger = Logger(service=APP_NAME)
metrics = Metrics(service=APP_NAME, namespace=METRICS_NAMESPACE)
tracer = Tracer(service=APP_NAME)


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
    would otherwise keep every value for the life of the process."""
    if metrics.metric_set:
        metrics.flush_metrics()
        metrics.clear_metrics()
