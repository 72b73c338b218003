"""Invoice details: new ones, an organisation's saved ones, and saving new ones for reuse (seed 000 step 5,
seed 002 step 2)."""

from __future__ import annotations

import pytest

from chalicelib.directory.model import SavedInvoiceDetails
from chalicelib.ordering.commands import AgentReviewInput, NewInvoice
from chalicelib.ordering.model import InvoiceDetails
from chalicelib.ordering.rules import MOST_SAVED_INVOICES, agent_review, invoice_to_save
from chalicelib.shared.errors import InvalidRequest

from .fixtures import AGENT, AGENT_ATTESTER, CUSTOMER, HANDLER, command, placed

SAVED = SavedInvoiceDetails(invoice_id="inv-1", address="Box 9", reference="R9")


def new(save: bool = True, address: str = "Box 1", reference: str = "R1") -> NewInvoice:
    return NewInvoice(kind="new", address=address, reference=reference, save_for_reuse=save)


def test_a_new_address_is_saved_only_when_asked_and_under_an_id_made_from_the_order():
    assert invoice_to_save(new(save=False), CUSTOMER, "o1", field="invoice") is None
    saved = invoice_to_save(new(), CUSTOMER, "o1", field="invoice")
    assert saved == SavedInvoiceDetails(invoice_id="inv-o1", address="Box 1", reference="R1")
    assert invoice_to_save(new(), CUSTOMER, "o1", field="invoice") == saved  # the same order: the same id


def test_an_address_already_saved_is_not_saved_again():
    keeps = CUSTOMER.model_copy(update={"invoice_details": [SAVED]})
    assert invoice_to_save(new(address="Box 9", reference="R9"), keeps, "o2", field="invoice") is None
    saved_before = CUSTOMER.model_copy(update={"invoice_details": [SAVED.model_copy(update={"invoice_id": "inv-o3"})]})
    assert invoice_to_save(new(), saved_before, "o3", field="invoice") is None  # a retry of the order that saved it


def test_an_organisation_keeps_a_bounded_number_of_saved_addresses():
    full = CUSTOMER.model_copy(
        update={
            "invoice_details": [
                SAVED.model_copy(update={"invoice_id": f"inv-{n}", "reference": f"R{n}"})
                for n in range(MOST_SAVED_INVOICES)
            ]
        }
    )
    with pytest.raises(InvalidRequest) as refused:
        invoice_to_save(new(), full, "o4", field="agent_review.invoice")
    assert (refused.value.field, refused.value.code) == (
        "agent_review.invoice.save_for_reuse",
        "ordering.too_many_saved_invoices",
    )
    assert invoice_to_save(new(save=False), full, "o4", field="invoice") is None  # used unsaved, it is fine


def test_an_order_uses_a_saved_address_of_its_own_organisation_only():
    keeps = CUSTOMER.model_copy(update={"invoice_details": [SAVED]})
    order = placed(customer=keeps, cmd=command(invoice={"kind": "saved", "invoice_id": "inv-1"}))
    assert order.invoice == InvoiceDetails(address="Box 9", reference="R9")
    with pytest.raises(InvalidRequest) as refused:
        placed(cmd=command(invoice={"kind": "saved", "invoice_id": "inv-1"}))
    assert refused.value.field == "invoice.invoice_id"


def review(invoice: dict[str, object]) -> AgentReviewInput:
    return AgentReviewInput.model_validate(
        {"declaration_accepted": True, "invoice": invoice, "attester_id": AGENT_ATTESTER.user_id}
    )


def test_the_agent_reviews_with_a_new_address_or_one_its_own_organisation_saved():
    """Seed 002 step 2: the agent's invoice address and reference, new or the agent's saved ones."""
    order = placed()
    agent = AGENT.model_copy(update={"invoice_details": [SAVED]})
    fresh = agent_review(
        order, review({"kind": "new", "address": "CGM", "reference": "C1"}), HANDLER, AGENT_ATTESTER, None
    )
    assert fresh.invoice == InvoiceDetails(address="CGM", reference="C1")
    reused = agent_review(order, review({"kind": "saved", "invoice_id": "inv-1"}), HANDLER, AGENT_ATTESTER, agent)
    assert reused.invoice == InvoiceDetails(address="Box 9", reference="R9")


def test_the_agent_cannot_use_the_customers_saved_address():
    order = placed()
    customer = CUSTOMER.model_copy(update={"invoice_details": [SAVED]})
    for organisation in (customer, None, AGENT):
        with pytest.raises(InvalidRequest) as refused:
            agent_review(order, review({"kind": "saved", "invoice_id": "inv-1"}), HANDLER, AGENT_ATTESTER, organisation)
        assert refused.value.field == "agent_review.invoice.invoice_id"
