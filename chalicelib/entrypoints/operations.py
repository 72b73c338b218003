"""What runs on a schedule for operations. Deployed with this module as its handler."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from chalice.app import Blueprint, Rate

from chalicelib.bootstrap import container
from chalicelib.manifest import RECONCILE_ORDERS
from chalicelib.observability import logger, metrics, publish_metrics

operations = Blueprint(__name__)


@operations.schedule(Rate(RECONCILE_ORDERS.every_minutes, unit=Rate.MINUTES), name=RECONCILE_ORDERS.name)
def reconcile_orders(event: Any) -> dict[str, int]:
    """Starts orders stored but never started, hands to operations those whose execution ended without them,
    stops executions without a live order. Any repair is a metric operations are alarmed on."""
    try:
        repairs = container().reconciler.reconcile()
        metrics.add_metric(name="OrdersRepaired", unit=MetricUnit.Count, value=repairs.count)
        # The alarm orders-waiting-too-long reads it: an order no step has moved for the stage's limit.
        metrics.add_metric(name="OrdersWaitingTooLong", unit=MetricUnit.Count, value=len(repairs.waiting))
        figures = {
            "started": len(repairs.started),
            "handed_over": len(repairs.handed_over),
            "stopped": len(repairs.stopped),
            "waiting": len(repairs.waiting),
        }
        if repairs.count:
            logger.warning("Orders repaired", extra=figures)
        return figures
    finally:
        publish_metrics()
