"""Ordering in the portal (seeds 000–002): the form, "check your answers", the confirmation with who acts next,
and the order's page with its tracker and history (R-ORD-1, R-ORD-2, R-ORD-8).

The form's fields make the same `PlaceOrder` the JSON API takes; nothing typed is lost when something is wrong:
the form comes back with every value, an error summary at the top and each message beside its field."""

from __future__ import annotations

import secrets
from typing import Any

from chalice.app import Blueprint, Response
from pydantic import ValidationError

from chalicelib.bootstrap import container
from chalicelib.entrypoints.contract import Access, Relation
from chalicelib.entrypoints.forms import checked, form_problems
from chalicelib.entrypoints.orders import submit_once
from chalicelib.entrypoints.web import FORM, Visit, page
from chalicelib.ordering.commands import PlaceOrder
from chalicelib.shared.errors import DomainError
from chalicelib.shared.identity import Role

order_pages = Blueprint(__name__)

ORDERER = Access(via="session", roles=frozenset({Role.ORDERER}), agreement_signed=True, rules="R-ONB-1, R-ONB-2")
PARTY = Access(via="session", relation=Relation.PARTY, everywhere=frozenset({Role.CUSTOMER_SERVICE}), rules="R-ORD-8")
MAX_UNITS = 1000

# Where each of the command's fields is on the form (list positions as `*`).
ORDER_FIELDS = {
    ("offering_id",): "offering_id",
    ("care_units",): "care_units",
    ("care_units", "*"): "care_units-{0}-name",
    ("care_units", "*", "name"): "care_units-{0}-name",
    ("care_units", "*", "hsa_id"): "care_units-{0}-hsa_id",
    ("source_system",): "source_system",
    ("agent_org_id",): "agent_org_id",
    ("declarations",): "declarations",
    ("invoice",): "invoice-new",
    ("invoice", "saved", "invoice_id"): "invoice-new",
    ("invoice", "invoice_id"): "invoice-new",
    ("invoice", "new", "address"): "invoice_address",
    ("invoice", "new", "reference"): "invoice_reference",
    ("attester_id",): "attester_id",
    ("terms_accepted",): "terms_accepted",
    ("terms_version",): "terms_accepted",
}


def units_of(visit: Visit) -> list[dict[str, str]]:
    """The care unit rows as typed, in order (`care_units-<n>-name`, `care_units-<n>-hsa_id`)."""
    rows: dict[int, dict[str, str]] = {}
    for name, values in visit.form.items():
        parts = name.split("-")
        if len(parts) == 3 and parts[0] == "care_units" and parts[1].isdigit() and parts[2] in ("name", "hsa_id"):
            rows.setdefault(int(parts[1]), {"name": "", "hsa_id": ""})[parts[2]] = values[0]
    return [rows[position] for position in sorted(rows)][:MAX_UNITS]


def typed(visit: Visit) -> dict[str, Any]:
    """Everything the form sent, as the form shows it again."""
    return {
        "offering_id": visit.field("offering_id"),
        "units": units_of(visit) or [{"name": "", "hsa_id": ""}],
        "source_system": visit.field("source_system"),
        "agent_org_id": visit.field("agent_org_id"),
        "declarations": [name.removeprefix("declaration-") for name in visit.form if name.startswith("declaration-")],
        "invoice_choice": visit.field("invoice_choice"),
        "invoice_address": visit.field("invoice_address"),
        "invoice_reference": visit.field("invoice_reference"),
        "invoice_save": visit.field("invoice_save") == "yes",
        "attester_id": visit.field("attester_id"),
        "terms_accepted": visit.field("terms_accepted") == "yes",
        "terms_version": visit.field("terms_version"),
        "idempotency_key": visit.field("idempotency_key") or secrets.token_urlsafe(24),
    }


def command_fields(values: dict[str, Any], questions: list[str]) -> dict[str, Any]:
    """The form's values as the JSON API's `PlaceOrder` body."""
    fields: dict[str, Any] = {
        "offering_id": values["offering_id"],
        "care_units": [unit for unit in values["units"] if unit["name"].strip() or unit["hsa_id"].strip()],
        "declarations": {question: question in values["declarations"] for question in questions},
        "attester_id": values["attester_id"],
        "terms_accepted": values["terms_accepted"],
    }
    if values["terms_version"].isdigit():
        fields["terms_version"] = int(values["terms_version"])
    if values["source_system"]:
        fields["source_system"] = values["source_system"]
    if values["agent_org_id"]:
        fields["agent_org_id"] = values["agent_org_id"]
    if values["invoice_choice"] and values["invoice_choice"] != "new":
        fields["invoice"] = {"kind": "saved", "invoice_id": values["invoice_choice"]}
    else:
        fields["invoice"] = {
            "kind": "new",
            "address": values["invoice_address"],
            "reference": values["invoice_reference"],
            "save_for_reuse": values["invoice_save"],
        }
    return fields


def form_page(visit: Visit, values: dict[str, Any], errors: list[dict[str, str]], status: int = 200) -> Response:
    actor = visit.caller
    catalogue = container().orders.catalogue()
    directory = container().adapters.directory
    organisation = directory.organisation(actor.person.org_id)
    asking: dict[str, list[str]] = {}
    for offering in catalogue.offerings:
        for question in offering.declaration_questions:
            asking.setdefault(question.question_id, []).append(offering.offering_id)
    return visit.page(
        "order_form.html",
        status,
        catalogue=catalogue.model_dump(mode="json"),
        offerings_asking=asking,
        attesters=[
            {"user_id": p.user_id, "name": p.name} for p in directory.people(actor.person.org_id, Role.ATTESTER)
        ],
        saved_invoices=[saved.model_dump() for saved in organisation.invoice_details] if organisation else [],
        values=values,
        errors=errors,
    )


def questions_of(offering_id: str) -> list[str]:
    catalogue = container().orders.catalogue()
    for offering in catalogue.offerings:
        if offering.offering_id == offering_id:
            return [question.question_id for question in offering.declaration_questions]
    return []


def refusal_problems(visit: Visit, refusal: DomainError, values: dict[str, Any]) -> list[dict[str, str]]:
    field = refusal.field or ""
    target = {
        "care_units": "care_units-0-name",
        "declarations": "declarations",
        "invoice.invoice_id": "invoice-new",
        "terms_version": "terms_accepted",
    }.get(field.split(".")[0] if field.startswith("declarations") else field, field.replace(".", "_"))
    return [{"field": target, "message": visit.texts.refusal(refusal.reason, refusal.params)}]


@order_pages.route("/orders/new")
@page(order_pages, summary="The order form", access=ORDERER)
def new_order(visit: Visit) -> Response:
    container().orders.require_may_order(visit.caller)  # R-ONB-1, R-ONB-2: before anyone fills in a form
    values = typed(visit)
    values["terms_version"] = str(container().orders.catalogue().terms_version)
    return form_page(visit, values, [])


@order_pages.route("/orders/new", methods=["POST"], content_types=[FORM])
@page(order_pages, summary="The order form: add or remove care units, or check the answers", access=ORDERER)
def order_form(visit: Visit) -> Response:
    container().orders.require_may_order(visit.caller)
    values = typed(visit)
    action = visit.field("action")
    if action == "add_unit":
        values["units"].append({"name": "", "hsa_id": ""})
        return form_page(visit, values, [])
    if action.startswith("remove_unit-") and action.removeprefix("remove_unit-").isdigit():
        position = int(action.removeprefix("remove_unit-"))
        values["units"] = [unit for n, unit in enumerate(values["units"]) if n != position] or [
            {"name": "", "hsa_id": ""}
        ]
        return form_page(visit, values, [])
    if action == "edit":
        return form_page(visit, values, [])
    try:
        command = checked(PlaceOrder, command_fields(values, questions_of(values["offering_id"])))
        preview = container().orders.check(visit.caller, command)
    except ValidationError as invalid:
        return form_page(visit, values, form_problems(visit.texts, invalid, ORDER_FIELDS), 400)
    except DomainError as refusal:
        return form_page(visit, values, refusal_problems(visit, refusal, values), 422)
    attester = container().adapters.directory.person(command.attester_id)
    return visit.page(
        "order_check.html",
        values=values,
        order=preview.model_dump(mode="json"),
        attester_name=attester.name if attester else command.attester_id,
    )


@order_pages.route("/orders/new/submit", methods=["POST"], content_types=[FORM])
@page(order_pages, summary="Submit the checked order", access=ORDERER)
def submit(visit: Visit) -> Response:
    container().orders.require_may_order(visit.caller)
    values = typed(visit)
    try:
        command = checked(PlaceOrder, command_fields(values, questions_of(values["offering_id"])))
        summary = submit_once(visit.caller, command, values["idempotency_key"], order_pages.lambda_context)
    except ValidationError as invalid:
        return form_page(visit, values, form_problems(visit.texts, invalid, ORDER_FIELDS), 400)
    except DomainError as refusal:
        return form_page(visit, values, refusal_problems(visit, refusal, values), 422)
    return visit.redirect(f"/orders/{summary.order_id}/submitted")


@order_pages.route("/orders/{order_id}/submitted")
@page(order_pages, summary="The order is submitted: its number and who acts next", access=PARTY)
def submitted(visit: Visit) -> Response:
    order, _ = container().orders.read(visit.caller, visit.path["order_id"])
    progress = container().orders.progress(visit.caller, order.order_id)
    return visit.page(
        "order_submitted.html", order=order.model_dump(mode="json"), progress=[stage_of(s) for s in progress]
    )


@order_pages.route("/orders/{order_id}")
@page(order_pages, summary="An order: where it is, what it is, and its history", access=PARTY)
def order_page(visit: Visit) -> Response:
    order, history = container().orders.read(visit.caller, visit.path["order_id"])
    progress = container().orders.progress(visit.caller, order.order_id)
    return visit.page(
        "order.html",
        order=order.model_dump(mode="json"),
        history=[event.model_dump(mode="json") for event in history],
        progress=[stage_of(stage) for stage in progress],
    )


def stage_of(stage: Any) -> dict[str, Any]:
    """A tracker stage as the templates read it."""
    shown = stage.model_dump(mode="json") if hasattr(stage, "model_dump") else dict(vars(stage))
    return shown
