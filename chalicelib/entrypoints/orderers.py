"""A requisitioner's orderers (DOMAIN.md Flow 3, R-REQ-1…7): the JSON API and the portal's pages for the
requisitioner's list, an orderer's page, switching to an orderer and back, and the public self-registration."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalice.app import Blueprint, Request, Response
from pydantic import ValidationError

from chalicelib.bootstrap import container
from chalicelib.directory.commands import UserId
from chalicelib.entrypoints.auth import authorizer
from chalicelib.entrypoints.contract import ANYONE, Access, Call, Relation, Strict, operation, reply
from chalicelib.entrypoints.forms import form_problems
from chalicelib.entrypoints.http import ListQuery, page_request
from chalicelib.entrypoints.portal import listing, next_url, summaries
from chalicelib.entrypoints.web import FORM, Visit, page
from chalicelib.requisitioners.commands import NewOrderer, OrdererChanges, Registration
from chalicelib.requisitioners.services import OrdererRow
from chalicelib.shared.errors import DomainError, InvalidRequest, NotAllowed, NotFound, TooManyAttempts
from chalicelib.shared.i18n import N_
from chalicelib.shared.identity import Role
from chalicelib.shared.pagination import PageRequest

orderers = Blueprint(__name__)

REQUISITIONER = frozenset({Role.REQUISITIONER})
API = Access(roles=REQUISITIONER, relation=Relation.OWN, rules="R-REQ-1, R-REQ-2, R-REQ-5")
ONE_OF_MINE = Access(roles=REQUISITIONER, relation=Relation.PARTY, rules="R-REQ-3, R-REQ-7")
PAGES = Access(via="session", roles=REQUISITIONER, relation=Relation.OWN, rules="R-REQ-1, R-REQ-2, R-REQ-5")
PAGE_OF_ONE = Access(via="session", roles=REQUISITIONER, relation=Relation.PARTY, rules="R-REQ-4, R-REQ-5, R-REQ-7")
PUBLIC = Access(signed_in=False, via="session", rules="R-REQ-3, R-REQ-6")
SIGNED_IN = Access(via="session", rules="R-REQ-5")

ORDERER_FIELDS = {("name",): "name", ("email",): "email"}
REGISTRATION_FIELDS = {**ORDERER_FIELDS, ("requisitioner_id",): "requisitioner_id"}
FIELD_MESSAGES = {
    "name": N_("Enter the name"),
    "email": N_("Enter an e-mail address, as in name@example.org"),
    "requisitioner_id": N_("Choose the requisitioner you order for"),
}


class OrdererView(Strict):
    user_id: str
    name: str
    email: str
    approved: bool
    self_registered: bool
    created_at: datetime
    orders: int | None = None  # how many orders it placed (the list says)
    waiting_orders: list[str] | None = None  # the orders held for its approval (R-REQ-3)


class OrdererPage(Strict):
    orderers: list[OrdererView]
    next: str | None


class RegistrationReceived(Strict):
    """The same answer whether or not the address was registered before (R-REQ-3)."""

    status: str = "received"


def view(row: OrdererRow) -> OrdererView:
    return OrdererView(
        user_id=row.orderer.user_id,
        name=row.person.name,
        email=row.person.email,
        approved=row.orderer.approved,
        self_registered=row.orderer.self_registered,
        created_at=row.orderer.created_at,
        orders=row.orders,
        waiting_orders=row.waiting,
    )


def network_address(request: Request) -> str:
    identity = (request.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "")


# --- the JSON API -------------------------------------------------------------------------------------


@orderers.route("/api/orderers", authorizer=authorizer)
@operation(
    orderers,
    summary="The requisitioner's orderers, newest first, with their orders and approval",
    access=API,
    query=ListQuery,
    responses={200: OrdererPage},
    refusals=(InvalidRequest, NotAllowed),
    tag="orderers",
)
def list_orderers(call: Call[None]) -> Response:
    found = container().orderers.rows(call.caller, page_request(call.query))
    return reply(OrdererPage(orderers=[view(row) for row in found.items], next=found.next))


@orderers.route("/api/orderers", methods=["POST"], authorizer=authorizer)
@operation(
    orderers,
    summary="Create an orderer with name and e-mail; they are e-mailed a link to choose a password",
    access=API,
    body=NewOrderer,
    responses={201: OrdererView},
    refusals=(InvalidRequest, NotAllowed),
    tag="orderers",
)
def create_orderer(call: Call[NewOrderer]) -> Response:
    service = container().orderers
    orderer = service.create(call.caller, call.body)
    _, person = service.orderer(call.caller, orderer.user_id)
    found = OrdererView(
        user_id=orderer.user_id,
        name=person.name,
        email=person.email,
        approved=orderer.approved,
        self_registered=orderer.self_registered,
        created_at=orderer.created_at,
    )
    return reply(found, 201)


@orderers.route("/api/orderers/{user_id}/approval", methods=["POST"], authorizer=authorizer)
@operation(
    orderers,
    summary="Approve an orderer: its orders held for the approval go on to their case",
    access=ONE_OF_MINE,
    path={"user_id": UserId},
    responses={200: OrdererView},
    refusals=(NotAllowed, NotFound),
    tag="orderers",
)
def approve_orderer(call: Call[None]) -> Response:
    service = container().orderers
    orderer = service.approve(call.caller, call.path["user_id"])
    _, person = service.orderer(call.caller, orderer.user_id)
    return reply(
        OrdererView(
            user_id=orderer.user_id,
            name=person.name,
            email=person.email,
            approved=orderer.approved,
            self_registered=orderer.self_registered,
            created_at=orderer.created_at,
        )
    )


@orderers.route("/api/orderer-registrations", methods=["POST"])
@operation(
    orderers,
    summary="Register as an orderer of a requisitioner; a link to choose the password is e-mailed",
    description="The answer is the same whether or not the address is registered; a duplicate is told so by mail.",
    access=ANYONE,
    body=Registration,
    responses={202: RegistrationReceived},
    refusals=(InvalidRequest, TooManyAttempts),
    tag="orderers",
)
def register_api(call: Call[Registration]) -> Response:
    container().orderers.register(call.body, network_address(call.request))
    return reply(RegistrationReceived(), 202)


# --- the portal's pages ----------------------------------------------------------------------------------


def problems(visit: Visit, invalid: ValidationError) -> list[dict[str, str]]:
    found = form_problems(visit.texts, invalid, REGISTRATION_FIELDS)
    return [
        {"field": problem["field"], "message": visit.texts.gettext(FIELD_MESSAGES[problem["field"]])}
        if problem["field"] in FIELD_MESSAGES
        else problem
        for problem in found
    ]


def refusal_problem(visit: Visit, refusal: DomainError, default_field: str) -> list[dict[str, str]]:
    return [{"field": refusal.field or default_field, "message": visit.texts.refusal(refusal.reason, refusal.params)}]


def list_page(visit: Visit, status: int = 200, errors: list[dict[str, str]] | None = None, **typed: str) -> Response:
    found = container().orderers.rows(visit.caller, listing(visit))
    return visit.page(
        "orderers/list.html",
        status,
        rows=found.items,
        waiting=container().orderers.awaiting_approval(visit.caller, PageRequest(limit=50)).items,
        next_url=next_url(visit, found),
        errors=errors or [],
        typed={"name": typed.get("name", ""), "email": typed.get("email", "")},
    )


@orderers.route("/orderers")
@page(orderers, summary="My orderers: their orders, approval, edit, delete, switch to", access=PAGES)
def orderers_page(visit: Visit) -> Response:
    return list_page(visit)


@orderers.route("/orderers", methods=["POST"], content_types=[FORM])
@page(orderers, summary="Create an orderer with name and e-mail", access=PAGES)
def create_orderer_page(visit: Visit) -> Response:
    typed = {"name": visit.field("name").strip(), "email": visit.field("email").strip()}
    try:
        command = NewOrderer.model_validate(typed)
    except ValidationError as invalid:
        return list_page(visit, 400, problems(visit, invalid), **typed)
    try:
        container().orderers.create(visit.caller, command)
    except InvalidRequest as refusal:
        return list_page(visit, 422, refusal_problem(visit, refusal, "email"), **typed)
    return visit.redirect("/orderers?notice=orderer_created")


def orderer_page(visit: Visit, status: int = 200, errors: list[dict[str, str]] | None = None, **typed: str) -> Response:
    orderer, person = container().orderers.orderer(visit.caller, visit.path["user_id"])
    return visit.page(
        "orderers/orderer.html",
        status,
        orderer=orderer,
        orderer_person=person,
        errors=errors or [],
        typed={"name": typed.get("name", person.name), "email": typed.get("email", person.email)},
    )


@orderers.route("/orderers/{user_id}")
@page(orderers, summary="An orderer: contact details, a new password, approval", access=PAGE_OF_ONE)
def orderer_details(visit: Visit) -> Response:
    return orderer_page(visit)


@orderers.route("/orderers/{user_id}", methods=["POST"], content_types=[FORM])
@page(orderers, summary="Change an orderer's contact details", access=PAGE_OF_ONE)
def edit_orderer(visit: Visit) -> Response:
    user_id = visit.path["user_id"]
    container().orderers.orderer(visit.caller, user_id)  # another's is not found, whatever was sent
    typed = {"name": visit.field("name").strip(), "email": visit.field("email").strip()}
    try:
        changes = OrdererChanges.model_validate(typed)
    except ValidationError as invalid:
        return orderer_page(visit, 400, problems(visit, invalid), **typed)
    try:
        container().orderers.edit(visit.caller, user_id, changes)
    except InvalidRequest as refusal:
        return orderer_page(visit, 422, refusal_problem(visit, refusal, "email"), **typed)
    return visit.redirect(f"/orderers/{user_id}?notice=orderer_saved")


@orderers.route("/orderers/{user_id}/password", methods=["POST"], content_types=[FORM])
@page(orderers, summary="E-mail an orderer a link to choose a new password", access=PAGE_OF_ONE)
def orderer_password(visit: Visit) -> Response:
    user_id = visit.path["user_id"]
    container().orderers.send_password_link(visit.caller, user_id)
    return visit.redirect(f"/orderers/{user_id}?notice=password_link_sent")


@orderers.route("/orderers/{user_id}/approval", methods=["POST"], content_types=[FORM])
@page(orderers, summary="Approve an orderer; its held orders go on to their case", access=PAGE_OF_ONE)
def approve_orderer_page(visit: Visit) -> Response:
    container().orderers.approve(visit.caller, visit.path["user_id"])
    return visit.redirect("/orderers?notice=orderer_approved")


@orderers.route("/orderers/{user_id}/delete", methods=["POST"], content_types=[FORM])
@page(orderers, summary="Delete an orderer; every order it made is kept", access=PAGE_OF_ONE)
def delete_orderer(visit: Visit) -> Response:
    container().orderers.delete(visit.caller, visit.path["user_id"])
    return visit.redirect("/orderers?notice=orderer_deleted")


@orderers.route("/orderers/{user_id}/orders")
@page(orderers, summary="The orders an orderer placed", access=PAGE_OF_ONE)
def orderer_orders(visit: Visit) -> Response:
    _, person = container().orderers.orderer(visit.caller, visit.path["user_id"])
    found = container().orders.orders_of_orderer(person.user_id, listing(visit))
    return visit.page(
        "orderers/orders.html", orderer_person=person, orders=summaries(found), next_url=next_url(visit, found)
    )


@orderers.route("/switch-to/{user_id}", methods=["POST"], content_types=[FORM])
@page(orderers, summary="Switch to an orderer: act as them until switching back", access=PAGE_OF_ONE)
def switch_to(visit: Visit) -> Response:
    orderer = container().orderers.switch_to(visit.caller, visit.path["user_id"])
    container().sessions.act_as(visit.session_cookie, orderer)
    return visit.redirect("/")


@orderers.route("/switch-back", methods=["POST"], content_types=[FORM])
@page(orderers, summary="Switch back from an orderer to one's own account", access=SIGNED_IN)
def switch_back(visit: Visit) -> Response:
    if visit.caller.acting_as is None:
        return visit.redirect("/")
    container().sessions.act_as(visit.session_cookie, None)
    return visit.redirect("/orderers")


def registration_page(visit: Visit, status: int = 200, errors: list[dict[str, str]] | None = None) -> Response:
    return visit.page(
        "orderers/register.html",
        status,
        requisitioners=container().orderers.requisitioners(),
        errors=errors or [],
        typed={name: visit.field(name).strip() for name in ("name", "email", "requisitioner_id")},
    )


@orderers.route("/register")
@page(orderers, summary="Register as an orderer of a requisitioner", access=PUBLIC)
def register_form(visit: Visit) -> Response:
    return registration_page(visit)


@orderers.route("/register", methods=["POST"], content_types=[FORM])
@page(orderers, summary="Register as an orderer; a link to choose the password is e-mailed", access=PUBLIC)
def register_page(visit: Visit) -> Response:
    typed: dict[str, Any] = {name: visit.field(name).strip() for name in ("name", "email", "requisitioner_id")}
    try:
        command = Registration.model_validate(typed)
    except ValidationError as invalid:
        return registration_page(visit, 400, problems(visit, invalid))
    try:
        container().orderers.register(command, network_address(visit.request))
    except (InvalidRequest, TooManyAttempts) as refusal:
        status = 429 if isinstance(refusal, TooManyAttempts) else 422
        return registration_page(visit, status, refusal_problem(visit, refusal, "email"))
    return visit.page("orderers/registered.html")
