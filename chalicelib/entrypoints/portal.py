"""The portal's home for every role and the lists people work from: my orders and my organisation's, my
approvals, the agent's orders from customers, customer service's cases, and operations' orders needing
attention (R-ORD-6, R-ORD-7)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from chalice.app import Blueprint, Response

from chalicelib.bootstrap import container
from chalicelib.entrypoints.contract import Access, Relation
from chalicelib.entrypoints.orders import order_summary
from chalicelib.entrypoints.web import Visit, page
from chalicelib.shared.errors import InvalidRequest, NotAllowed
from chalicelib.shared.identity import Role
from chalicelib.shared.pagination import DEFAULT_PAGE_SIZE, Page, PageRequest, bad_cursor

portal = Blueprint(__name__)

SIGNED_IN = Access(via="session", relation=Relation.OWN)
CURSOR_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def listing(visit: Visit, size: int = DEFAULT_PAGE_SIZE) -> PageRequest:
    cursor = visit.query("cursor") or None
    if cursor is not None and (len(cursor) > 2000 or not set(cursor) <= CURSOR_CHARACTERS):
        raise bad_cursor()
    return PageRequest(limit=size, cursor=cursor)


def next_url(visit: Visit, found: Page[Any], **keep: str) -> str | None:
    """The link to the following page, keeping the list's own parameters."""
    if not found.next:
        return None
    return f"{visit.where}?{urlencode({**{k: v for k, v in keep.items() if v}, 'cursor': found.next})}"


def summaries(found: Page[Any]) -> list[dict[str, Any]]:
    return [order_summary(order).model_dump(mode="json") for order in found.items]


def pending_of(visit: Visit, page_request: PageRequest) -> Page[dict[str, Any]]:
    return container().decisions.pending(visit.caller, page_request)


@portal.route("/")
@page(portal, summary="Home: what waits for me first, then what my roles do", access=SIGNED_IN)
def home(visit: Visit) -> Response:
    person = visit.caller.person
    sections: dict[str, Any] = {"pending": pending_of(visit, PageRequest(limit=10))}
    if person.has_role(Role.ORDERER):
        sections["orders"] = container().orders.my_orders(visit.caller, PageRequest(limit=5))
    if person.has_role(Role.AGENT_CASE_HANDLER):
        sections["queue"] = container().orders.agent_queue(visit.caller, PageRequest(limit=10))
    if person.has_role(Role.CUSTOMER_SERVICE):
        sections["cases"] = container().orders.cases(visit.caller, PageRequest(limit=10))
    if person.has_role(Role.OPERATIONS):
        sections["attention"] = container().orders.needing_attention(visit.caller, waited(), PageRequest(limit=10))
    if person.has_role(Role.ADMINISTRATOR):  # R-ONB-1: an agreement of an older model is signed anew
        sections["agreement"] = container().onboarding.agreement_of(visit.caller)
    return visit.page(
        "home.html",
        agreement=sections.get("agreement"),
        pending=sections["pending"].items,
        more_pending=bool(sections["pending"].next),
        orders=summaries(sections["orders"]) if "orders" in sections else None,
        queue=summaries(sections["queue"]) if "queue" in sections else None,
        cases=[case.model_dump(mode="json") for case in sections["cases"].items] if "cases" in sections else None,
        attention=summaries(sections["attention"]) if "attention" in sections else None,
        orderers_waiting=orderers_waiting(visit),
    )


def waited() -> timedelta:
    return timedelta(hours=container().settings.operations_waiting_hours)


@portal.route("/orders")
@page(portal, summary="My orders, or my organisation's", access=Access(via="session", relation=Relation.OWN))
def orders_page(visit: Visit) -> Response:
    scope = "organisation" if visit.query("scope") == "organisation" else "mine"
    service = container().orders
    lister = service.organisation_orders if scope == "organisation" else service.my_orders
    found = lister(visit.caller, listing(visit))
    return visit.page("orders.html", scope=scope, orders=summaries(found), next_url=next_url(visit, found, scope=scope))


@portal.route("/pending")
@page(portal, summary="My approvals: the steps waiting for me, the newest first", access=SIGNED_IN)
def pending_page(visit: Visit) -> Response:
    found = pending_of(visit, listing(visit))
    return visit.page(
        "pending.html", pending=found.items, next_url=next_url(visit, found), orderers_waiting=orderers_waiting(visit)
    )


def orderers_waiting(visit: Visit) -> list[Any] | None:
    """R-REQ-3: a requisitioner's own account also waits on the orderers it has to approve."""
    actor = visit.caller
    if actor.acting_as is not None or not actor.signed_in.has_role(Role.REQUISITIONER):
        return None
    return container().orderers.awaiting_approval(actor, PageRequest(limit=50)).items


@portal.route("/agent/queue")
@page(
    portal,
    summary="Orders from the agent's customers waiting for the agent",
    access=Access(via="session", roles=frozenset({Role.AGENT_CASE_HANDLER}), relation=Relation.OWN, rules="R-ORD-7"),
)
def queue_page(visit: Visit) -> Response:
    found = container().orders.agent_queue(visit.caller, listing(visit))
    return visit.page("queue.html", orders=summaries(found), next_url=next_url(visit, found))


@portal.route("/cases")
@page(
    portal,
    summary="Customer service's cases, found by order number or organisation",
    access=Access(via="session", roles=frozenset({Role.CUSTOMER_SERVICE})),
)
def cases_page(visit: Visit) -> Response:
    number, organisation = visit.query("number").strip(), visit.query("organisation").strip()
    errors: list[dict[str, str]] = []
    try:
        found = container().orders.find_cases(visit.caller, number or None, organisation or None, listing(visit))
    except InvalidRequest as refusal:
        if isinstance(refusal, NotAllowed):
            raise
        errors = [{"field": refusal.field or "number", "message": visit.texts.refusal(refusal.reason, refusal.params)}]
        found = Page([])
    return visit.page(
        "cases.html",
        cases=[case.model_dump(mode="json") for case in found.items],
        number=number,
        organisation=organisation,
        errors=errors,
        next_url=next_url(visit, found, number=number, organisation=organisation),
    )


@portal.route("/operations")
@page(
    portal,
    summary="Orders needing attention, or waiting longer than they should",
    access=Access(via="session", roles=frozenset({Role.OPERATIONS})),
)
def operations_page(visit: Visit) -> Response:
    found = container().orders.needing_attention(visit.caller, waited(), listing(visit))
    return visit.page(
        "operations.html",
        orders=summaries(found),
        hours=waited().total_seconds() // 3600,
        next_url=next_url(visit, found),
    )
