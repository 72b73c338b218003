"""Deciding a step in the portal: reached from the e-mailed link, or from "My approvals" and the agent's list
by the order and the step. Both ways keep the same rules (R-ORD-4, R-ORD-5): only an assignee sees the
decision, opening changes nothing, deciding is single use, an attestation is signed with a fresh one-time code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Response
from pydantic import ValidationError

from chalicelib.approvals.model import SubjectRef
from chalicelib.bootstrap import container
from chalicelib.entrypoints.approvals import DecisionBody
from chalicelib.entrypoints.contract import Access, Relation
from chalicelib.entrypoints.forms import checked, form_problems
from chalicelib.entrypoints.web import FORM, Visit, page
from chalicelib.ordering.model import Step
from chalicelib.ordering.steps import order_step
from chalicelib.shared.errors import DomainError, NotFound, Reason

step_pages = Blueprint(__name__)

ASSIGNEE = Access(via="session", relation=Relation.ASSIGNEE, rules="R-ORD-5")
NO_SUCH_STEP = Reason("portal.no_such_step", "No such step.")

# Where each decision field is on the form.
DECISION_FIELDS = {
    ("decision",): "decision-approve",
    ("reason",): "reason",
    ("one_time_code",): "one_time_code",
    ("agent_review", "declaration_accepted"): "declaration_accepted",
    ("agent_review", "attester_id"): "agent_attester",
    ("agent_review", "invoice"): "invoice-new",
    ("agent_review", "invoice", "saved", "invoice_id"): "invoice-new",
    ("agent_review", "invoice", "new", "address"): "invoice_address",
    ("agent_review", "invoice", "new", "reference"): "invoice_reference",
    ("agent_review", "invoice", "invoice_id"): "invoice-new",
    ("agent_review",): "declaration_accepted",
}


class Decisions:
    """A step's operations, addressed by the link's id or by order and step."""

    def __init__(
        self,
        view: Callable[..., Any],
        send_code: Callable[..., Any],
        decide: Callable[..., Any],
        resend: Callable[..., Any],
        base: str,
    ) -> None:
        self.view, self.send_code, self.decide, self.resend, self.base = view, send_code, decide, resend, base


def by_link(approval_id: str) -> Decisions:
    decisions = container().decisions
    return Decisions(
        lambda actor: decisions.view(approval_id, actor),
        lambda actor: decisions.send_code(approval_id, actor),
        lambda actor, body: decisions.decide(approval_id, actor, body, body.agent_review),
        lambda actor: decisions.resend_request(approval_id, actor),
        f"/approvals/{approval_id}",
    )


def by_step(order_id: str, step: str) -> Decisions:
    try:
        ref: SubjectRef = order_step(order_id, Step(step))
    except ValueError:
        raise NotFound(NO_SUCH_STEP) from None
    decisions = container().decisions
    return Decisions(
        lambda actor: decisions.view_step(ref, actor),
        lambda actor: decisions.send_code_for_step(ref, actor),
        lambda actor, body: decisions.decide_step(ref, actor, body, body.agent_review),
        lambda actor: decisions.resend_request(ref, actor),
        f"/orders/{order_id}/steps/{step}",
    )


def show(visit: Visit, decisions: Decisions, status: int = 200, **context: Any) -> Response:
    view = decisions.view(visit.caller)
    agent = None
    if view["step"] == Step.AGENT_APPROVAL.value:
        agent = container().adapters.directory.organisation(view["order"]["agent_org_id"])
    return visit.page(
        "step.html",
        status,
        view=view,
        base=decisions.base,
        agent_invoices=[saved.model_dump() for saved in agent.invoice_details] if agent else [],
        errors=context.pop("errors", []),
        form=context.pop("form", {}),
        **context,
    )


def decision_body(visit: Visit) -> dict[str, Any]:
    body: dict[str, Any] = {"decision": visit.field("decision")}
    if visit.field("reason").strip() or body["decision"] == "reject":
        body["reason"] = visit.field("reason")
    if visit.field("one_time_code"):
        body["one_time_code"] = visit.field("one_time_code").strip()
    if visit.field("step") == Step.AGENT_APPROVAL.value and body["decision"] == "approve":
        invoice: dict[str, Any]
        choice = visit.field("invoice_choice", "new")
        if choice != "new":
            invoice = {"kind": "saved", "invoice_id": choice}
        else:
            invoice = {
                "kind": "new",
                "address": visit.field("invoice_address"),
                "reference": visit.field("invoice_reference"),
                "save_for_reuse": visit.field("invoice_save") == "yes",
            }
        body["agent_review"] = {
            "declaration_accepted": visit.field("declaration_accepted") == "yes",
            "invoice": invoice,
            "attester_id": visit.field("agent_attester"),
        }
    return body


def decide(visit: Visit, decisions: Decisions) -> Response:
    sent = {name: values[0] for name, values in visit.form.items() if values}
    try:
        body = checked(DecisionBody, decision_body(visit))
        result = decisions.decide(visit.caller, body)
    except ValidationError as invalid:
        errors = form_problems(visit.texts, invalid, DECISION_FIELDS)
        return show(visit, decisions, 400, errors=errors, form=sent)
    except DomainError as refusal:
        if refusal.field is None and refusal.reason.code.startswith("approvals."):
            raise  # the step itself refuses (decided, expired, someone else's): its own page says so
        errors = [
            {
                "field": DECISION_FIELDS.get(tuple(refusal.field.split(".")), refusal.field) if refusal.field else "",
                "message": visit.texts.refusal(refusal.reason, refusal.params),
            }
        ]
        return show(visit, decisions, 422, errors=errors, form=sent)
    return visit.redirect(f"/orders/{result['subject_id']}?notice=decided")


def send_code(visit: Visit, decisions: Decisions) -> Response:
    sent = decisions.send_code(visit.caller)
    return show(visit, decisions, code_sent=sent)


def resend(visit: Visit, decisions: Decisions) -> Response:
    decisions.resend(visit.caller)
    return visit.redirect(f"{decisions.base}?notice=mail_sent")


# --- by the e-mailed link ------------------------------------------------------------------------------


@step_pages.route("/approvals/{approval_id}")
@page(step_pages, summary="The step behind an e-mailed link (reading only: mail scanners open links)", access=ASSIGNEE)
def link_page(visit: Visit) -> Response:
    return show(visit, by_link(visit.path["approval_id"]))


@step_pages.route("/approvals/{approval_id}/code", methods=["POST"], content_types=[FORM])
@page(step_pages, summary="Send me a one-time code for this attestation", access=ASSIGNEE)
def link_code(visit: Visit) -> Response:
    return send_code(visit, by_link(visit.path["approval_id"]))


@step_pages.route("/approvals/{approval_id}/decision", methods=["POST"], content_types=[FORM])
@page(step_pages, summary="Decide the step", access=ASSIGNEE)
def link_decision(visit: Visit) -> Response:
    return decide(visit, by_link(visit.path["approval_id"]))


@step_pages.route("/approvals/{approval_id}/resend", methods=["POST"], content_types=[FORM])
@page(step_pages, summary="Send me the step's e-mail again", access=ASSIGNEE)
def link_resend(visit: Visit) -> Response:
    return resend(visit, by_link(visit.path["approval_id"]))


# --- by order and step, from the portal's lists -----------------------------------------------------------


@step_pages.route("/orders/{order_id}/steps/{step}")
@page(step_pages, summary="A step of an order, for its assignee", access=ASSIGNEE)
def step_page(visit: Visit) -> Response:
    return show(visit, by_step(visit.path["order_id"], visit.path["step"]))


@step_pages.route("/orders/{order_id}/steps/{step}/code", methods=["POST"], content_types=[FORM])
@page(step_pages, summary="Send me a one-time code for this attestation", access=ASSIGNEE)
def step_code(visit: Visit) -> Response:
    return send_code(visit, by_step(visit.path["order_id"], visit.path["step"]))


@step_pages.route("/orders/{order_id}/steps/{step}/decision", methods=["POST"], content_types=[FORM])
@page(step_pages, summary="Decide the step", access=ASSIGNEE)
def step_decision(visit: Visit) -> Response:
    return decide(visit, by_step(visit.path["order_id"], visit.path["step"]))


@step_pages.route("/orders/{order_id}/steps/{step}/resend", methods=["POST"], content_types=[FORM])
@page(step_pages, summary="Send me the step's e-mail again", access=ASSIGNEE)
def step_resend(visit: Visit) -> Response:
    return resend(visit, by_step(visit.path["order_id"], visit.path["step"]))
