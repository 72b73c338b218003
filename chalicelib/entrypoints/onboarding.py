"""Customer onboarding's JSON API (DOMAIN.md Flow 1): a customer application, anyone may send; the provider's
administrators' list and decision; customer service's finder of an organisation's administrators (R-ONB-4)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from chalice.app import Blueprint, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chalicelib.approvals.commands import Decide
from chalicelib.approvals.model import Outcome
from chalicelib.bootstrap import container
from chalicelib.entrypoints.auth import authorizer
from chalicelib.entrypoints.contract import ANYONE, Access, Call, Header, Relation, Strict, operation, reply
from chalicelib.entrypoints.http import ListQuery, page_request
from chalicelib.observability import correlate, logger
from chalicelib.onboarding.commands import ApplyForCustomer
from chalicelib.onboarding.model import Application, ApplicationStatus
from chalicelib.onboarding.services import application_step
from chalicelib.shared.errors import (
    AlreadyDone,
    Expired,
    InProgress,
    InvalidRequest,
    NotAllowed,
    NotFound,
    TooManyAttempts,
)
from chalicelib.shared.identity import Role
from chalicelib.shared.pagination import PageRequest

onboarding = Blueprint(__name__)

ApplicationId = Annotated[str, StringConstraints(pattern=r"^app-[0-9a-f]{24}$")]
SUBMISSION_KEY = Header(
    "Idempotency-Key",
    r"[A-Za-z0-9_-]{8,128}",
    "8-128 letters, digits, - or _, the same for every try of one application: a repeat returns the first answer",
)
DECIDER = Access(relation=Relation.ASSIGNEE, rules="R-ONB-3")


def network_address(request: Request) -> str:
    """Who sent it, as the gateway saw them: what a public form is limited by besides the addresses."""
    identity = (request.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "unknown")


class ApplicationSent(Strict):
    application_id: str
    status: ApplicationStatus


class ContactShown(Strict):
    name: str
    email: str


class SignatoryShown(ContactShown):
    phone: str


class ApplicationShown(Strict):
    """A customer application as the provider's administrators read it."""

    application_id: str
    organisation_name: str
    org_number: str
    administrator: ContactShown
    signatory: SignatoryShown
    agreement_contact: ContactShown
    status: ApplicationStatus
    submitted_at: datetime
    decided_at: datetime | None
    reason: str | None


class ApplicationPage(Strict):
    applications: list[ApplicationShown]
    next: str | None


class ApplicationStep(Strict):
    """The provider's decision step of one application; opening it changes nothing."""

    state: str
    outcome: Outcome | None
    expires_at: datetime
    application: ApplicationShown


class ApplicationDecided(Strict):
    application_id: str
    outcome: Outcome


class AdministratorFound(Strict):
    org_id: str
    organisation_name: str
    org_number: str | None
    user_id: str
    name: str
    email: str
    phone: str | None


class AdministratorPage(Strict):
    administrators: list[AdministratorFound]
    next: str | None


class AdministratorQuery(ListQuery):
    """R-ONB-4: the organisation's name or number; none finds nobody."""

    model_config = ConfigDict(extra="forbid")

    organisation: str = Field(default="", max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")
    cursor: str | None = Field(default=None, pattern=r"^[0-9]{1,6}$")


def shown(application: Application | dict[str, Any]) -> ApplicationShown:
    found = application.model_dump(mode="json") if isinstance(application, BaseModel) else application
    return ApplicationShown.model_validate(
        {name: value for name, value in found.items() if name in ApplicationShown.model_fields}
    )


def submit_application(command: ApplyForCustomer, key: str, address: str) -> Application:
    """The same for the API and the page: one application per key."""
    application = container().onboarding.apply(command, key, address)
    correlate(application.application_id)
    logger.info("Customer application received")
    return application


@onboarding.route("/api/applications", methods=["POST"])
@operation(
    onboarding,
    summary="Send a customer application (DOMAIN.md Flow 1 step 1)",
    access=ANYONE,
    body=ApplyForCustomer,
    headers=(SUBMISSION_KEY,),
    responses={201: ApplicationSent},
    refusals=(InvalidRequest, TooManyAttempts, InProgress),
    description="An organisation number already a customer's, or of an application still waiting, is refused "
    "naming `org_number`. Limited per e-mail address and per network address.",
    tag="onboarding",
)
def send_application(call: Call[ApplyForCustomer]) -> Response:
    application = submit_application(call.body, call.header(SUBMISSION_KEY.name), network_address(call.request))
    return reply(ApplicationSent(application_id=application.application_id, status=application.status), 201)


@onboarding.route("/api/applications", authorizer=authorizer)
@operation(
    onboarding,
    summary="Customer applications waiting for my decision, the newest first",
    access=Access(roles=frozenset({Role.ADMINISTRATOR}), relation=Relation.OWN, rules="R-ONB-3"),
    query=ListQuery,
    responses={200: ApplicationPage},
    refusals=(InvalidRequest,),
    tag="onboarding",
)
def list_applications(call: Call[None]) -> Response:
    found = container().onboarding.pending(call.caller, page_request(call.query))
    return reply(ApplicationPage(applications=[shown(found_one) for found_one in found.items], next=found.next))


@onboarding.route("/api/applications/{application_id}", authorizer=authorizer)
@operation(
    onboarding,
    summary="A customer application's decision step, for its assignee",
    access=DECIDER,
    path={"application_id": ApplicationId},
    responses={200: ApplicationStep},
    refusals=(NotFound, NotAllowed),
    tag="onboarding",
)
def view_application(call: Call[None]) -> Response:
    view = container().decisions.view_step(application_step(call.path["application_id"]), call.caller)
    return reply(
        ApplicationStep(
            state=view["state"],
            outcome=view["outcome"],
            expires_at=view["expires_at"],
            application=shown(view["application"]),
        )
    )


@onboarding.route("/api/applications/{application_id}/decision", methods=["POST"], authorizer=authorizer)
@operation(
    onboarding,
    summary="Approve or reject a customer application (single use)",
    access=DECIDER,
    path={"application_id": ApplicationId},
    body=Decide,
    responses={200: ApplicationDecided},
    refusals=(InvalidRequest, NotFound, NotAllowed, AlreadyDone, Expired),
    description="An approval creates the organisation, opens the administrator's and the agreement contact's "
    "accounts and mails the signatory a link to sign the agreement; a rejection needs a reason, which the "
    "contacts are told.",
    tag="onboarding",
)
def decide_application(call: Call[Decide]) -> Response:
    application_id = call.path["application_id"]
    correlate(application_id)
    decided = container().decisions.decide_step(application_step(application_id), call.caller, call.body)
    logger.info("Customer application decided", extra={"outcome": decided["outcome"]})
    return reply(ApplicationDecided(application_id=application_id, outcome=decided["outcome"]))


@onboarding.route("/api/administrators", authorizer=authorizer)
@operation(
    onboarding,
    summary="An organisation's administrators, by its name or organisation number (R-ONB-4)",
    access=Access(roles=frozenset({Role.CUSTOMER_SERVICE}), rules="R-ONB-4"),
    query=AdministratorQuery,
    responses={200: AdministratorPage},
    refusals=(InvalidRequest,),
    tag="onboarding",
)
def find_administrators(call: Call[None]) -> Response:
    query: AdministratorQuery = call.query
    found = container().onboarding.find_administrators(
        call.caller, query.organisation, PageRequest(limit=query.limit, cursor=query.cursor)
    )
    return reply(
        AdministratorPage(
            administrators=[AdministratorFound.model_validate(person) for person in found.items], next=found.next
        )
    )
