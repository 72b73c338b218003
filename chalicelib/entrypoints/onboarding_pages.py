"""Onboarding in the portal (DOMAIN.md Flow 1): the public application form, the provider's administrators'
list and decision page, the signatory's signing page behind the e-mailed link, an organisation's agreement
(and the link sent again when it is of an older model, R-ONB-1), and customer service's finder of
administrators (R-ONB-4)."""

from __future__ import annotations

import secrets
from typing import Any

from chalice.app import Blueprint, Response
from pydantic import ValidationError

from chalicelib.approvals.commands import Decide
from chalicelib.bootstrap import container
from chalicelib.entrypoints.contract import Access, Relation
from chalicelib.entrypoints.forms import checked, field_of
from chalicelib.entrypoints.onboarding import network_address, submit_application
from chalicelib.entrypoints.portal import listing, next_url
from chalicelib.entrypoints.web import FORM, Visit, page
from chalicelib.onboarding.commands import ApplyForCustomer
from chalicelib.onboarding.services import application_step
from chalicelib.shared.errors import DomainError, NotFound, Reason
from chalicelib.shared.i18n import N_
from chalicelib.shared.identity import Role

onboarding_pages = Blueprint(__name__)

OPEN = Access(signed_in=False, via="session")
DECIDER = Access(via="session", relation=Relation.ASSIGNEE, rules="R-ONB-3")
NO_SUCH_APPLICATION = Reason("portal.no_such_application", "No such application.")

# Each field of the application form: where a problem with it points, and what its reader is told.
APPLICATION_FIELDS: dict[tuple[Any, ...], str] = {
    ("organisation_name",): "organisation_name",
    ("org_number",): "org_number",
    ("administrator", "name"): "administrator-name",
    ("administrator", "email"): "administrator-email",
    ("signatory", "name"): "signatory-name",
    ("signatory", "email"): "signatory-email",
    ("signatory", "phone"): "signatory-phone",
    ("agreement_contact", "name"): "agreement_contact-name",
    ("agreement_contact", "email"): "agreement_contact-email",
}
APPLICATION_MESSAGES = {
    "organisation_name": N_("Enter the organisation's name"),
    "org_number": N_("Enter the organisation number, ten digits as in 556036-0793"),
    "administrator-name": N_("Enter the administrator's name"),
    "administrator-email": N_("Enter the administrator's e-mail address, as in name@example.se"),
    "signatory-name": N_("Enter the signatory's name"),
    "signatory-email": N_("Enter the signatory's e-mail address, as in name@example.se"),
    "signatory-phone": N_("Enter the signatory's mobile number, as in 070-123 45 67"),
    "agreement_contact-name": N_("Enter the agreement contact's name"),
    "agreement_contact-email": N_("Enter the agreement contact's e-mail address, as in name@example.se"),
}
FIELDS = [field for field in APPLICATION_FIELDS.values()]


def problems(visit: Visit, invalid: ValidationError) -> list[dict[str, str]]:
    found: dict[str, str] = {}
    for problem in invalid.errors(include_url=False, include_input=False):
        field, _ = field_of(tuple(problem["loc"]), APPLICATION_FIELDS)
        if field and field not in found:
            found[field] = visit.texts.gettext(APPLICATION_MESSAGES[field])
    ordered = [field for field in FIELDS if field in found]
    return [{"field": field, "message": found[field]} for field in ordered] or [
        {"field": "organisation_name", "message": visit.texts.gettext(APPLICATION_MESSAGES["organisation_name"])}
    ]


def sent_fields(visit: Visit) -> dict[str, str]:
    return {field: visit.field(field) for field in FIELDS}


def application_command(fields: dict[str, str]) -> dict[str, Any]:
    def contact(role: str, *parts: str) -> dict[str, str]:
        return {part: fields[f"{role}-{part}"] for part in parts}

    return {
        "organisation_name": fields["organisation_name"],
        "org_number": fields["org_number"],
        "administrator": contact("administrator", "name", "email"),
        "signatory": contact("signatory", "name", "email", "phone"),
        "agreement_contact": contact("agreement_contact", "name", "email"),
    }


def application_form(visit: Visit, status: int = 200, **context: Any) -> Response:
    return visit.page(
        "onboarding/apply.html",
        status,
        errors=context.pop("errors", []),
        form=context.pop("form", {}),
        idempotency_key=context.pop("idempotency_key", None) or secrets.token_urlsafe(24),
        **context,
    )


# --- the public application (Flow 1 step 1) -------------------------------------------------------------


@onboarding_pages.route("/apply")
@page(onboarding_pages, summary="Apply to become a customer", access=OPEN)
def apply_page(visit: Visit) -> Response:
    return application_form(visit)


@onboarding_pages.route("/apply", methods=["POST"], content_types=[FORM])
@page(onboarding_pages, summary="Send a customer application", access=OPEN)
def apply(visit: Visit) -> Response:
    """The same hidden key in a form sent twice (a double click, a reload) names one application."""
    form = sent_fields(visit)
    key = visit.field("idempotency_key")
    if not 8 <= len(key) <= 128 or not key.replace("-", "").replace("_", "").isalnum():
        key = secrets.token_urlsafe(24)
    try:
        command = checked(ApplyForCustomer, application_command(form))
        submit_application(command, key, network_address(visit.request))
    except ValidationError as invalid:
        return application_form(visit, 400, errors=problems(visit, invalid), form=form, idempotency_key=key)
    except DomainError as refusal:
        field = APPLICATION_FIELDS.get((refusal.field,), "") if refusal.field else ""
        errors = [{"field": field, "message": visit.texts.refusal(refusal.reason, refusal.params)}]
        status = 429 if refusal.code == "limits.too_often" else 422
        return application_form(visit, status, errors=errors, form=form, idempotency_key=key)
    return visit.redirect("/apply/sent")


@onboarding_pages.route("/apply/sent")
@page(onboarding_pages, summary="The application is sent", access=OPEN)
def application_sent(visit: Visit) -> Response:
    return visit.page("onboarding/apply_sent.html")


# --- the provider's decision (Flow 1 step 2) --------------------------------------------------------------


@onboarding_pages.route("/applications")
@page(
    onboarding_pages,
    summary="Customer applications waiting for my decision",
    access=Access(via="session", roles=frozenset({Role.ADMINISTRATOR}), relation=Relation.OWN, rules="R-ONB-3"),
)
def applications_page(visit: Visit) -> Response:
    found = container().onboarding.pending(visit.caller, listing(visit))
    return visit.page(
        "onboarding/applications.html",
        applications=[application.model_dump(mode="json") for application in found.items],
        next_url=next_url(visit, found),
    )


def application_id(visit: Visit) -> str:
    found = visit.path["application_id"]
    if not found.startswith("app-") or len(found) > 64:
        raise NotFound(NO_SUCH_APPLICATION)
    return found


def show_application(visit: Visit, status: int = 200, **context: Any) -> Response:
    view = container().decisions.view_step(application_step(application_id(visit)), visit.caller)
    return visit.page(
        "onboarding/application.html",
        status,
        view=view,
        application=view["application"],
        errors=context.pop("errors", []),
        form=context.pop("form", {}),
        **context,
    )


@onboarding_pages.route("/applications/{application_id}")
@page(onboarding_pages, summary="A customer application, for its assignee (reading only)", access=DECIDER)
def application_page(visit: Visit) -> Response:
    return show_application(visit)


@onboarding_pages.route("/applications/{application_id}/decision", methods=["POST"], content_types=[FORM])
@page(onboarding_pages, summary="Approve or reject a customer application", access=DECIDER)
def decide_application(visit: Visit) -> Response:
    body: dict[str, Any] = {"decision": visit.field("decision")}
    if visit.field("reason").strip() or body["decision"] == "reject":
        body["reason"] = visit.field("reason")
    form = {"decision": visit.field("decision"), "reason": visit.field("reason")}
    ref = application_step(application_id(visit))
    try:
        command = checked(Decide, body)
        container().decisions.decide_step(ref, visit.caller, command)
    except ValidationError as invalid:
        fields = {err["loc"][0] for err in invalid.errors() if err["loc"]}
        errors = []
        if "decision" in fields:
            errors.append(
                {"field": "decision-approve", "message": visit.texts.gettext(N_("Choose whether to approve"))}
            )
        if "reason" in fields:
            errors.append({"field": "reason", "message": visit.texts.gettext(N_("Enter the reason"))})
        return show_application(visit, 400, errors=errors, form=form)
    except DomainError as refusal:
        if refusal.field is None:
            raise  # the step itself refuses (decided, someone else's): its own page says so
        errors = [{"field": refusal.field, "message": visit.texts.refusal(refusal.reason, refusal.params)}]
        return show_application(visit, 422, errors=errors, form=form)
    return visit.redirect("/applications?notice=decided")


# --- the signatory's signature (Flow 1 step 4, R-ONB-1) -----------------------------------------------------


def show_signing(visit: Visit, status: int = 200, **context: Any) -> Response:
    link = visit.path["signing_id"]
    return visit.page(
        "onboarding/signing.html",
        status,
        link=link,
        signing=container().onboarding.signing(link),
        errors=context.pop("errors", []),
        **context,
    )


@onboarding_pages.route("/signing/{signing_id}")
@page(onboarding_pages, summary="Sign the customer agreement (reading only: mail scanners open links)", access=OPEN)
def signing_page(visit: Visit) -> Response:
    return show_signing(visit)


@onboarding_pages.route("/signing/{signing_id}/code", methods=["POST"], content_types=[FORM])
@page(onboarding_pages, summary="Send the signatory a one-time code by SMS", access=OPEN)
def signing_code(visit: Visit) -> Response:
    sent = container().onboarding.send_code(visit.path["signing_id"])
    return show_signing(visit, code_sent=sent)


@onboarding_pages.route("/signing/{signing_id}/sign", methods=["POST"], content_types=[FORM])
@page(onboarding_pages, summary="Sign the customer agreement with the one-time code", access=OPEN)
def sign(visit: Visit) -> Response:
    link = visit.path["signing_id"]
    code = visit.field("one_time_code").strip()
    if not (len(code) == 6 and code.isdigit()):
        message = visit.texts.gettext(N_("Enter the six-digit code from the SMS"))
        return show_signing(visit, 400, errors=[{"field": "one_time_code", "message": message}], code_sent=True)
    try:
        signed = container().onboarding.sign(link, code)
    except DomainError as refusal:
        if refusal.field is None:
            raise
        errors = [{"field": "one_time_code", "message": visit.texts.refusal(refusal.reason, refusal.params)}]
        return show_signing(visit, 422, errors=errors, code_sent=True)
    return visit.page("onboarding/signed.html", signed=signed)


# --- an organisation's agreement (R-ONB-1) --------------------------------------------------------------------


@onboarding_pages.route("/agreement")
@page(
    onboarding_pages,
    summary="My organisation's customer agreement: signed, or to be signed anew",
    access=Access(via="session", relation=Relation.OWN, rules="R-ONB-1"),
)
def agreement_page(visit: Visit) -> Response:
    return visit.page("onboarding/agreement.html", agreement=container().onboarding.agreement_of(visit.caller))


@onboarding_pages.route("/agreement/send-again", methods=["POST"], content_types=[FORM])
@page(
    onboarding_pages,
    summary="Send the signatory the link to sign the current agreement",
    access=Access(via="session", roles=frozenset({Role.ADMINISTRATOR}), relation=Relation.OWN, rules="R-ONB-1"),
)
def send_signing_again(visit: Visit) -> Response:
    sent = container().onboarding.send_signing_again(visit.caller)
    return visit.page(
        "onboarding/agreement.html", agreement=container().onboarding.agreement_of(visit.caller), sent=sent
    )


# --- R-ONB-4: who is an organisation's administrator --------------------------------------------------------


@onboarding_pages.route("/administrators")
@page(
    onboarding_pages,
    summary="Find an organisation's administrators, by its name or organisation number",
    access=Access(via="session", roles=frozenset({Role.CUSTOMER_SERVICE}), rules="R-ONB-4"),
)
def administrators_page(visit: Visit) -> Response:
    organisation = visit.query("organisation").strip()[:200]
    found = container().onboarding.find_administrators(visit.caller, organisation, listing(visit))
    return visit.page(
        "onboarding/administrators.html",
        organisation=organisation,
        administrators=found.items,
        searched=bool(organisation),
        next_url=next_url(visit, found, organisation=organisation),
    )
