"""Forms of the portal: a form's fields become the same command the JSON API validates, and a command's
problems become messages beside the form's fields and in its error summary, in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from chalicelib.shared.i18n import N_, Words

ModelT = TypeVar("ModelT", bound=BaseModel)

# What a person is told about a field, whatever was wrong with it: what to do, not what the parser thought.
FIELD_MESSAGES = {
    "offering_id": N_("Choose what to order"),
    "care_units-{0}-name": N_("Enter the name of care unit {n}"),
    "care_units-{0}-hsa_id": N_(
        "Enter the HSA-id of care unit {n}: SE, 10 to 12 digits, a hyphen and the unit's own part, as in "
        "SE2321000016-1003"
    ),
    "care_units": N_("Name at least one care unit"),
    "source_system": N_("Choose your source system"),
    "agent_org_id": N_("Choose the agent"),
    "declarations": N_("Tick every declaration"),
    "invoice-new": N_("Choose an invoice address, or enter a new one"),
    "invoice_address": N_("Enter the invoice address"),
    "invoice_reference": N_("Enter the invoice reference"),
    "attester_id": N_("Choose the attester"),
    "terms_accepted": N_("Accept the terms to order"),
    "decision-approve": N_("Choose whether to approve"),
    "reason": N_("Give the reason, so that the others can be told why"),
    "one_time_code": N_("Enter the six-digit code from the SMS"),
    "declaration_accepted": N_("Tick the declaration to approve"),
    "agent_attester": N_("Choose the attester who attests for your organisation"),
    "name": N_("Enter the person's name"),
    "email": N_("Enter an e-mail address, such as name@example.org"),
    "roles": N_("Choose at least one role"),
    "phone": N_("Enter a mobile number, such as 070-123 45 67 or +47 412 34 567."),
    "language": N_("Choose the language of their e-mail"),
    "add_customer": N_("Enter the customer's name or organisation id"),
}
INVISIBLE = N_("Remove the invisible or control characters")


def checked(model: type[ModelT], fields: dict[str, Any]) -> ModelT:
    """The command a form's fields make; raises ValidationError as the API would."""
    return model.model_validate(fields)


def field_of(location: tuple[Any, ...], fields: Mapping[tuple[Any, ...], str]) -> tuple[str, list[int]]:
    """The form field a problem's location points at (the longest known prefix; list positions as `*`)."""
    numbers = [part for part in location if isinstance(part, int)]
    pattern = tuple("*" if isinstance(part, int) else part for part in location)
    for length in range(len(pattern), 0, -1):
        if pattern[:length] in fields:
            return fields[pattern[:length]], numbers
    return "", numbers


def form_problems(
    texts: Words, invalid: ValidationError, fields: Mapping[tuple[Any, ...], str]
) -> list[dict[str, str]]:
    """One message per form field at fault, in the order the form shows them."""
    problems: dict[str, str] = {}
    for problem in invalid.errors(include_url=False, include_input=False):
        template, numbers = field_of(tuple(problem["loc"]), fields)
        field = template.format(*numbers)
        if field in problems:
            continue
        if problem["type"] == "value_error" and "blank" not in problem["msg"]:
            message = texts.gettext(INVISIBLE)
        else:
            message = texts.gettext(FIELD_MESSAGES.get(template, N_("Check this field"))).format(
                n=(numbers[0] + 1) if numbers else ""
            )
        problems[field] = message
    return [{"field": field, "message": message} for field, message in problems.items()]
