"""The order workflow's task functions (statemachines/order_workflow.asl.json). Each is deployed as its own
Lambda function whose handler is this module, so each carries its own observability instead of relying on
the app's middleware."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from chalice.app import Blueprint

from chalicelib.bootstrap import container
from chalicelib.manifest import CLOSE_ORDER, CREATE_CASE, HOLD_FOR_ORDERER, NOTIFY_OPERATIONS, REQUEST_DECISION
from chalicelib.observability import correlate, logger, metrics, publish_metrics
from chalicelib.ordering.model import Ending, Step
from chalicelib.ordering.steps import order_step
from chalicelib.shared.errors import DomainError

tasks = Blueprint(__name__)


def task(run: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """One order, one thread of logs (R-ORD-8). A refusal fails the task under its own name, which the state
    machine does not retry; anything else is retried with backoff, then handed to operations."""

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        correlate(event.get("order_id"))
        try:
            return run(event)
        except DomainError:
            logger.exception("Task refused")
            raise
        finally:
            publish_metrics()
            correlate(None)

    handler.__name__ = run.__name__
    return handler


@tasks.lambda_function(name=REQUEST_DECISION.name)
@task
def request_decision(event: dict[str, Any]) -> dict[str, Any]:
    """Opened by a `.waitForTaskToken` state; the workflow waits until the decision is delivered."""
    step = Step(event["step"])
    approval = container().decisions.open(
        order_step(event["order_id"], step), event["task_token"], int(event["timeout_seconds"])
    )
    logger.info("Decision requested", extra={"step": step.value, "assignees": len(approval.assignees)})
    return {"step": step.value}


@tasks.lambda_function(name=CREATE_CASE.name)
@task
def create_case(event: dict[str, Any]) -> dict[str, Any]:
    result = container().endings.create_case(event["order_id"])
    metrics.add_metric(name="OrdersCompleted", unit=MetricUnit.Count, value=1)
    logger.info("Case created", extra=result)
    return result


@tasks.lambda_function(name=CLOSE_ORDER.name)
@task
def close_order(event: dict[str, Any]) -> dict[str, Any]:
    result = container().endings.close(event["order_id"], Ending(event["outcome"]))
    logger.info("Order ended", extra=result)
    return result


@tasks.lambda_function(name=NOTIFY_OPERATIONS.name)
@task
def notify_operations(event: dict[str, Any]) -> dict[str, Any]:
    result = container().endings.needs_attention(event["order_id"], event.get("error") or {})
    metrics.add_metric(name="OrdersNeedingAttention", unit=MetricUnit.Count, value=1)
    logger.warning("Order needs attention", extra=result)
    return result


@tasks.lambda_function(name=HOLD_FOR_ORDERER.name)
@task
def hold_for_orderer(event: dict[str, Any]) -> dict[str, Any]:
    """R-REQ-3: opened by the `.waitForTaskToken` state OrdererApproval; the workflow waits until the
    requisitioner approves the orderer."""
    released = container().orderers.hold(
        event["order_id"], event["orderer_id"], event["task_token"], int(event["timeout_seconds"])
    )
    logger.info("Order held for its orderer's approval", extra={"released": released})
    return {"released": released}
