"""The catalogue, submitting orders, and the lists people read them in (R-ORD-6…8)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.metrics import MetricUnit
from chalice.app import Blueprint, Response
from pydantic import StringConstraints

from chalicelib.bootstrap import container
from chalicelib.entrypoints.auth import authorizer
from chalicelib.entrypoints.contract import Access, Call, Header, Relation, Strict, operation, reply
from chalicelib.entrypoints.http import ListQuery, page_request
from chalicelib.observability import correlate, logger, metrics
from chalicelib.ordering.commands import PlaceOrder
from chalicelib.ordering.model import Case, Catalogue, HistoryEvent, Order, OrderStatus, Step
from chalicelib.shared.errors import InProgress, InvalidRequest, NotAllowed, NotFound
from chalicelib.shared.identity import Actor, Role

orders = Blueprint(__name__)

OrderId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
IDEMPOTENCY_KEY = Header(
    "Idempotency-Key",
    r"[A-Za-z0-9_-]{8,128}",
    "8-128 letters, digits, - or _, the same for every try of one order: a repeat returns the first answer",
)


class OrderSummary(Strict):
    order_id: str
    number: str
    status: OrderStatus
    current_step: Step | None
    offering_name: str
    customer_name: str
    created_at: datetime
    case_number: str | None


class OrderPage(Strict):
    orders: list[OrderSummary]
    next: str | None


class OrderWithHistory(Strict):
    order: Order
    history: list[HistoryEvent]


class CasePage(Strict):
    cases: list[Case]
    next: str | None


class OrderListQuery(ListQuery):
    scope: Literal["mine", "organisation"] = "mine"


def order_summary(order: Order) -> OrderSummary:
    return OrderSummary(
        order_id=order.order_id,
        number=order.number,
        status=order.status,
        current_step=order.current_step,
        offering_name=order.offering.name,
        customer_name=order.customer_name,
        created_at=order.created_at,
        case_number=order.case_number,
    )


@orders.route("/api/catalogue", authorizer=authorizer)
@operation(
    orders,
    summary="The catalogue: services, offerings with their flow and prices, and agents",
    access=Access(),
    responses={200: Catalogue},
    refusals=(NotFound,),
    tag="ordering",
)
def catalogue(call: Call[None]) -> Response:
    return reply(container().orders.catalogue())


@orders.route("/api/orders", methods=["POST"], authorizer=authorizer)
@operation(
    orders,
    summary="Submit an order",
    description="The order is stored with its number and first history event, and its workflow starts.",
    access=Access(
        roles=frozenset({Role.ORDERER}), agreement_signed=True, rules="R-ONB-1, R-ONB-2", relation=Relation.NONE
    ),
    body=PlaceOrder,
    headers=(IDEMPOTENCY_KEY,),
    responses={201: OrderSummary},
    refusals=(InvalidRequest, NotAllowed, NotFound, InProgress),
    tag="ordering",
)
def submit_order(call: Call[PlaceOrder]) -> Response:
    summary = submit_once(call.caller, call.body, call.header(IDEMPOTENCY_KEY.name), orders.lambda_context)
    return reply(summary, 201, {"Location": f"/api/orders/{summary.order_id}"})


def submit_once(actor: Actor, command: PlaceOrder, key: str, lambda_context: Any) -> OrderSummary:
    """Submits an order once per key and orderer, from the API or the portal: a repeated key returns the first
    answer and starts nothing (Powertools idempotency around the service's own, which derives the order's id
    from the key)."""

    def submit() -> dict[str, Any]:
        order = container().orders.submit(actor, command, key)
        metrics.add_metric(name="OrdersSubmitted", unit=MetricUnit.Count, value=1)
        return order_summary(order).model_dump(mode="json")

    summary = OrderSummary.model_validate(
        container().adapters.idempotency.once(
            [actor.person.user_id, key], command.model_dump(mode="json"), submit, lambda_context
        )
    )
    correlate(summary.order_id)
    logger.info("Order submitted", extra={"number": summary.number})
    return summary


@orders.route("/api/orders", authorizer=authorizer)
@operation(
    orders,
    summary="My orders, or my organisation's, newest first",
    access=Access(relation=Relation.OWN, rules="R-ORD-8"),
    query=OrderListQuery,
    responses={200: OrderPage},
    refusals=(InvalidRequest,),
    tag="ordering",
)
def list_orders(call: Call[None]) -> Response:
    query: OrderListQuery = call.query
    service = container().orders
    lister = service.my_orders if query.scope == "mine" else service.organisation_orders
    found = lister(call.caller, page_request(query))
    return reply(OrderPage(orders=[order_summary(order) for order in found.items], next=found.next))


@orders.route("/api/orders/{order_id}", authorizer=authorizer)
@operation(
    orders,
    summary="An order with its whole history",
    access=Access(relation=Relation.PARTY, everywhere=frozenset({Role.CUSTOMER_SERVICE}), rules="R-ORD-8"),
    path={"order_id": OrderId},
    responses={200: OrderWithHistory},
    refusals=(NotFound,),
    tag="ordering",
)
def read_order(call: Call[None]) -> Response:
    order_id = call.path["order_id"]
    correlate(order_id)
    order, history = container().orders.read(call.caller, order_id)
    return reply(OrderWithHistory(order=order, history=history))


@orders.route("/api/agent/queue", authorizer=authorizer)
@operation(
    orders,
    summary="The agent's customers' orders waiting for the agent",
    access=Access(roles=frozenset({Role.AGENT_CASE_HANDLER}), relation=Relation.OWN, rules="R-ORD-7"),
    query=ListQuery,
    responses={200: OrderPage},
    refusals=(InvalidRequest, NotAllowed),
    tag="ordering",
)
def agent_queue(call: Call[None]) -> Response:
    waiting = container().orders.agent_queue(call.caller, page_request(call.query))
    return reply(OrderPage(orders=[order_summary(order) for order in waiting.items], next=waiting.next))


@orders.route("/api/cases", authorizer=authorizer)
@operation(
    orders,
    summary="Cases for customer service, newest first",
    access=Access(roles=frozenset({Role.CUSTOMER_SERVICE})),
    query=ListQuery,
    responses={200: CasePage},
    refusals=(InvalidRequest, NotAllowed),
    tag="ordering",
)
def cases(call: Call[None]) -> Response:
    found = container().orders.cases(call.caller, page_request(call.query))
    return reply(CasePage(cases=found.items, next=found.next))
