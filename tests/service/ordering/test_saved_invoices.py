"""Invoice addresses saved for reuse with an order or an agent's review: in the same transaction as the
order or the decision, once however often it is retried (seed 000 step 5, seed 002 step 2)."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.directory.model import SavedInvoiceDetails
from chalicelib.ordering.model import InvoiceDetails, Step
from chalicelib.shared.errors import InvalidRequest
from local.people import agent_review, direct_order, via_agent_order
from tests.fakes.world import World
from tests.faults import crash_once

NEW: dict[str, Any] = {
    "kind": "new",
    "address": "Region Norrby, Box 300, 901 00 Norrby",
    "reference": "RN-88",
    "save_for_reuse": True,
}


def saved_of(world: World, org_id: str) -> list[SavedInvoiceDetails]:
    organisation = world.directory.organisation(org_id)
    assert organisation is not None
    return organisation.invoice_details


def test_an_address_saved_for_reuse_is_written_with_the_order_and_offered_next_time(world: World):
    before = world.store.commits
    order = world.submit("olivia.orderer", direct_order(invoice=NEW))
    assert world.store.commits == before + 1  # the order and the saved address: one transaction
    assert saved_of(world, "region-norrby")[-1] == SavedInvoiceDetails(
        invoice_id=f"inv-{order.order_id}", address=NEW["address"], reference=NEW["reference"]
    )
    again = world.submit("ada.admin", direct_order(invoice={"kind": "saved", "invoice_id": f"inv-{order.order_id}"}))
    assert again.invoice == InvoiceDetails(address=NEW["address"], reference=NEW["reference"])


def test_an_address_used_without_saving_is_not_kept(world: World):
    before = saved_of(world, "region-norrby")
    world.submit("olivia.orderer", direct_order(invoice={**NEW, "save_for_reuse": False}))
    assert saved_of(world, "region-norrby") == before


def test_a_retried_submit_saves_the_address_once(world: World, monkeypatch: pytest.MonkeyPatch):
    before = len(saved_of(world, "region-norrby"))
    calls = crash_once(monkeypatch, world.workflow, "start")  # the first answer never reached the orderer
    first = world.submit("olivia.orderer", direct_order(invoice=NEW), key="retried-key")
    again = world.submit("olivia.orderer", direct_order(invoice=NEW), key="retried-key")
    assert first.order_id == again.order_id and len(calls) == 2
    assert len(saved_of(world, "region-norrby")) == before + 1
    # Another order with the same address and reference does not save it a second time either.
    world.submit("olivia.orderer", direct_order(invoice=NEW))
    assert len(saved_of(world, "region-norrby")) == before + 1


def test_an_address_saved_meanwhile_by_someone_else_is_kept_beside_this_one(world: World, monkeypatch: Any):
    """The write is conditional on the saved addresses being as read: a colleague's saved meanwhile makes the
    submit read them again, and neither is lost."""
    original = world.directory.organisation
    colleague = SavedInvoiceDetails(invoice_id="inv-colleague", address="Box 7", reference="RN-7")
    raced: list[bool] = []

    def read_then_race(org_id: str):
        found = original(org_id)
        if org_id == "region-norrby" and not raced:
            raced.append(True)
            world.directory.organisations[org_id].invoice_details.append(colleague)
        return found

    monkeypatch.setattr(world.directory, "organisation", read_then_race)
    order = world.submit("olivia.orderer", direct_order(invoice=NEW))
    ids = [saved.invoice_id for saved in saved_of(world, "region-norrby")]
    assert ids[-2:] == ["inv-colleague", f"inv-{order.order_id}"] and len(world.orders.orders) == 1


def test_a_refused_order_saves_nothing(world: World):
    before = saved_of(world, "region-norrby")
    with pytest.raises(InvalidRequest):
        world.submit("olivia.orderer", direct_order(invoice=NEW, attester_id="alva.attester"))
    assert saved_of(world, "region-norrby") == before


@pytest.fixture
def agent_approval(world: World) -> tuple[str, str]:
    order = world.submit("olivia.orderer", via_agent_order())
    return order.order_id, world.open_step(order.order_id, Step.AGENT_APPROVAL)


def test_the_agent_approves_with_an_address_its_organisation_saved(world: World, agent_approval):
    order_id, approval_id = agent_approval
    world.decide(
        "hanna.handler", approval_id, agent_review=agent_review(invoice={"kind": "saved", "invoice_id": "inv-cgm"})
    )
    order, _ = world.orders.get(order_id) or (None, 0)
    assert order is not None and order.agent_review is not None
    cgm = saved_of(world, "agent-cgm")[0]
    assert order.agent_review.invoice == InvoiceDetails(address=cgm.address, reference=cgm.reference)


def test_the_agent_cannot_approve_with_the_customers_saved_address(world: World, agent_approval):
    _, approval_id = agent_approval
    with pytest.raises(InvalidRequest) as refused:
        world.decide(
            "hanna.handler", approval_id, agent_review=agent_review(invoice={"kind": "saved", "invoice_id": "inv-main"})
        )
    assert refused.value.field == "agent_review.invoice.invoice_id"


def test_a_new_agent_address_saved_for_reuse_goes_on_the_agents_organisation_with_the_decision(
    world: World, agent_approval
):
    order_id, approval_id = agent_approval
    customer_before = saved_of(world, "region-norrby")
    invoice = {"kind": "new", "address": "CGM, Box 8, 111 11 Stockholm", "reference": "CGM-8", "save_for_reuse": True}
    before = world.store.commits
    world.decide("hanna.handler", approval_id, agent_review=agent_review(invoice=invoice))
    assert world.store.commits == before + 1  # the decision and the saved address together
    assert saved_of(world, "agent-cgm")[-1] == SavedInvoiceDetails(
        invoice_id=f"inv-{order_id}", address="CGM, Box 8, 111 11 Stockholm", reference="CGM-8"
    )
    assert saved_of(world, "region-norrby") == customer_before


def test_a_rejection_saves_no_address(world: World, agent_approval):
    _, approval_id = agent_approval
    before = saved_of(world, "agent-cgm")
    world.decide("hanna.handler", approval_id, "reject", reason="Not our customer.")
    assert saved_of(world, "agent-cgm") == before
