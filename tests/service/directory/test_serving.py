"""What an agent serves, set by its administrators (R-ONB-3): customers by id or name, and which of its catalogue
source systems it takes orders for, which ordering then holds to (R-ORD-9)."""

from __future__ import annotations

import pytest

from chalicelib.ordering.commands import PlaceOrder
from chalicelib.shared.errors import InvalidRequest, NotAllowed
from chalicelib.shared.identity import Role
from local.people import via_agent_order
from tests.fakes.world import World

OFFERED = ["CGM J4", "CGM TakeCare"]


def agent_administrator(world: World) -> None:
    hanna = world.directory.person("hanna.handler")
    assert hanna is not None
    world.directory.save_person(hanna.model_copy(update={"roles": [Role.ADMINISTRATOR, Role.AGENT_CASE_HANDLER]}))


def test_r_onb_3_an_agents_administrator_sets_its_customers_and_source_systems(world: World):
    agent_administrator(world)
    hanna = world.actor("hanna.handler")
    before = world.app.serving.serving(hanna, OFFERED)
    assert {customer.org_id for customer in before.customers} == {"clinic-old", "region-norrby"}
    assert before.source_systems == OFFERED  # none said: every one the catalogue lists
    after = world.app.serving.set(hanna, ["Region Norrby"], ["CGM J4"], OFFERED)
    assert [c.org_id for c in after.customers] == ["region-norrby"] and after.source_systems == ["CGM J4"]
    stored = world.directory.organisation("agent-cgm")
    assert stored is not None and stored.serves_customers == ["region-norrby"]
    assert stored.source_systems == ["CGM J4"]


def test_r_onb_3_an_unknown_customer_or_a_source_system_not_in_the_catalogue_is_refused(world: World):
    agent_administrator(world)
    hanna = world.actor("hanna.handler")
    with pytest.raises(InvalidRequest) as refused:
        world.app.serving.set(hanna, ["Nowhere Clinic"], [], OFFERED)
    assert refused.value.field == "customers"
    with pytest.raises(InvalidRequest) as refused:
        world.app.serving.set(hanna, ["agent-evry"], [], OFFERED)  # an agent is no customer
    assert refused.value.field == "customers"
    with pytest.raises(InvalidRequest) as refused:
        world.app.serving.set(hanna, [], ["Evry Journal"], OFFERED)
    assert refused.value.field == "source_systems"


def test_r_onb_3_only_an_agents_administrator_sets_what_it_serves(world: World):
    with pytest.raises(NotAllowed):
        world.app.serving.serving(world.actor("hanna.handler"), OFFERED)  # a case handler, not an administrator
    with pytest.raises(NotAllowed):
        world.app.serving.set(world.actor("ada.admin"), [], [], OFFERED)  # a customer's administrator


def test_r_ord_9_an_order_for_a_source_system_the_agent_no_longer_takes_is_refused(world: World):
    agent_administrator(world)
    world.app.serving.set(world.actor("hanna.handler"), ["region-norrby", "clinic-old"], ["CGM TakeCare"], OFFERED)
    order = PlaceOrder.model_validate(via_agent_order(source_system="CGM J4"))
    with pytest.raises(InvalidRequest) as refused:
        world.app.orders.check(world.actor("olivia.orderer"), order)
    assert refused.value.field == "source_system"
    world.app.orders.check(world.actor("olivia.orderer"), order.model_copy(update={"source_system": "CGM TakeCare"}))


def test_r_ord_9_a_customer_the_agent_stopped_serving_cannot_order_through_it(world: World):
    agent_administrator(world)
    world.app.serving.set(world.actor("hanna.handler"), ["clinic-old"], OFFERED, OFFERED)
    with pytest.raises(InvalidRequest) as refused:
        world.app.orders.check(world.actor("olivia.orderer"), PlaceOrder.model_validate(via_agent_order()))
    assert refused.value.field == "agent_org_id"
