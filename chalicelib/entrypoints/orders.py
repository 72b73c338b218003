"""The catalogue, submitting orders, and the lists people read them in (R-ORD-6…8)."""

from __future__ import annotations

import re
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from chalice.app import Blueprint, Response

from chalicelib.bootstrap import container
from chalicelib.entrypoints.auth import actor_of, authorizer
from chalicelib.entrypoints.http import BadRequest, handles_errors, json_response, page_request, page_response, parse
from chalicelib.observability import correlate, logger, metrics
from chalicelib.ordering.commands import PlaceOrder
from chalicelib.ordering.model import Order

orders = Blueprint(__name__)

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,128}$")


def order_summary(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "number": order.number,
        "status": order.status.value,
        "current_step": order.current_step.value if order.current_step else None,
        "offering_name": order.offering.name,
        "customer_name": order.customer_name,
        "created_at": order.created_at.isoformat(),
        "case_number": order.case_number,
    }


@orders.route("/api/catalogue", authorizer=authorizer)
@handles_errors
def catalogue() -> Response:
    actor_of(orders.current_request)  # only people of the directory read the catalogue
    return json_response(container().orders.catalogue().model_dump(mode="json"))


@orders.route("/api/orders", methods=["POST"], authorizer=authorizer)
@handles_errors
def submit_order() -> Response:
    request = orders.current_request
    actor = actor_of(request)
    command = parse(PlaceOrder, request.raw_body)
    key = request.headers.get("idempotency-key", "")
    if not IDEMPOTENCY_KEY.match(key):
        raise BadRequest(
            "Send an Idempotency-Key header (8-128 letters, digits, - or _) with every order.",
            [{"field": "Idempotency-Key", "reason": "missing or malformed"}],
        )

    def submit() -> dict[str, Any]:
        order = container().orders.submit(actor, command, key)
        metrics.add_metric(name="OrdersSubmitted", unit=MetricUnit.Count, value=1)
        return order_summary(order)

    # A repeated Idempotency-Key returns the first answer and starts nothing.
    summary = container().adapters.idempotency.once(
        [actor.person.user_id, key], command.model_dump(mode="json"), submit, orders.lambda_context
    )
    correlate(summary["order_id"])
    logger.info("Order submitted", extra={"number": summary["number"]})
    return json_response(summary, 201, {"Location": f"/api/orders/{summary['order_id']}"})


@orders.route("/api/orders", authorizer=authorizer)
@handles_errors
def list_orders() -> Response:
    request = orders.current_request
    actor = actor_of(request)
    scope = request.query_params.get("scope", "mine") if request.query_params else "mine"
    page = page_request(request)
    if scope == "mine":
        found = container().orders.my_orders(actor, page)
    elif scope == "organisation":
        found = container().orders.organisation_orders(actor, page)
    else:
        raise BadRequest("Unknown scope.", [{"field": "scope", "reason": "must be 'mine' or 'organisation'"}])
    return page_response("orders", found, order_summary)


@orders.route("/api/orders/{order_id}", authorizer=authorizer)
@handles_errors
def read_order(order_id: str) -> Response:
    if not re.fullmatch(r"[0-9a-f]{32}", order_id):
        raise BadRequest("Unknown order id.", [{"field": "order_id", "reason": "not an order id"}])
    correlate(order_id)
    order, history = container().orders.read(actor_of(orders.current_request), order_id)
    return json_response(
        {"order": order.model_dump(mode="json"), "history": [event.model_dump(mode="json") for event in history]}
    )


@orders.route("/api/agent/queue", authorizer=authorizer)
@handles_errors
def agent_queue() -> Response:
    request = orders.current_request
    waiting = container().orders.agent_queue(actor_of(request), page_request(request))
    return page_response("orders", waiting, order_summary)


@orders.route("/api/cases", authorizer=authorizer)
@handles_errors
def cases() -> Response:
    request = orders.current_request
    found = container().orders.cases(actor_of(request), page_request(request))
    return page_response("cases", found, lambda case: case.model_dump(mode="json"))
