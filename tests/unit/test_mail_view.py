"""An order's outbox messages carry the order as its mails show it, not the whole order: every mail about an order
reads the same from that view as from the whole order, in every language."""

from __future__ import annotations

import json

import pytest

from chalicelib.notifications.services import MailDelivery
from chalicelib.ordering.model import Order
from chalicelib.ordering.notices import mail_view
from chalicelib.rendering import environment
from chalicelib.shared.languages import LANGUAGES
from tests.unit.fixtures import placed

# Every mail template whose context holds an order (ordering/notices.py, ordering/steps.py).
ORDER_MAILS = (
    "request_agent_approval",
    "request_agent_attestation",
    "request_customer_attestation",
    "order_ended",
    "case_created_agent",
    "case_created_customer_service",
    "order_completed",
    "needs_attention",
)


def _order() -> Order:
    # Every field a mail could show is set, so a field missing from the view would show as a difference.
    order = placed()
    assert order.agent_name and order.source_system and len(order.care_units) == 2
    return order.model_copy(update={"outcome_reason": "Not in our region", "case_number": "CS0000001"})


def _context(order_shown: dict[str, object]) -> dict[str, object]:
    return {
        "order": order_shown,
        "event": {"at": "2026-12-01T10:00:00+00:00", "action": "rejected", "actor_name": "Hanna", "note": "No"},
        "case_number": "CS0000001",
        "link": "https://portal.example/orders/o1",
        "person": {"name": "Hanna"},
        "expires_at": "2026-12-08T10:00:00+00:00",
        "error_name": "States.TaskFailed",
        "cause": "boom",
    }


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", ORDER_MAILS)
def test_a_mail_reads_the_same_from_the_mail_view_as_from_the_whole_order(template: str, language: str):
    order = _order()
    delivery = MailDelivery(environment, sender=None)  # type: ignore[arg-type]
    whole = delivery.render(template, ["a@x"], _context(order.model_dump(mode="json")), language)
    viewed = delivery.render(template, ["a@x"], _context(mail_view(order)), language)
    assert viewed == whole
    assert order.number in whole.text and order.offering.name in whole.text


def test_the_mail_view_is_a_fraction_of_the_order():
    order = _order()
    shown, whole = json.dumps(mail_view(order)), json.dumps(order.model_dump(mode="json"))
    assert len(shown) * 3 < len(whole)
    assert "description" not in mail_view(order)["offering"]
