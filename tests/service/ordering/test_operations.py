"""The provider's operations see the orders that need them: those handed to them, and those in progress that
have not moved for longer than they choose (the open orders' index, docs/data-model.md pattern 15)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.ordering.model import Step
from chalicelib.shared.errors import NotAllowed
from chalicelib.shared.pagination import PageRequest
from local.people import direct_order
from tests.fakes.world import FIRST, World


def test_operations_see_orders_needing_attention_then_those_unchanged_too_long_the_longest_first(world: World):
    waiting = world.submit("olivia.orderer", direct_order())
    world.clock.advance(minutes=10)
    handed_over = world.submit("olivia.orderer", direct_order())
    world.app.endings.needs_attention(handed_over.order_id, {"Error": "States.TaskFailed"})
    world.clock.advance(minutes=10)
    older_still = world.submit("ada.admin", direct_order())
    world.clock.advance(minutes=50)
    recent = world.submit("olivia.orderer", direct_order())
    world.clock.advance(minutes=10)
    done = world.submit("olivia.orderer", direct_order())
    world.attest("adam.attester", world.open_step(done.order_id, Step.CUSTOMER_ATTESTATION))
    world.app.endings.create_case(done.order_id)

    olle = world.actor("olle.operations")
    found = world.app.orders.needing_attention(olle, timedelta(hours=1), FIRST)
    assert [order.order_id for order in found.items] == [handed_over.order_id, waiting.order_id]
    assert found.next is None
    longer = world.app.orders.needing_attention(olle, timedelta(minutes=15), FIRST).items
    assert [order.order_id for order in longer] == [handed_over.order_id, waiting.order_id, older_still.order_id]
    assert recent.order_id not in [order.order_id for order in longer]


def test_the_list_of_operations_comes_a_page_at_a_time_across_both_kinds(world: World):
    orders = []
    for _ in range(4):
        orders.append(world.submit("olivia.orderer", direct_order()))
        world.clock.advance(minutes=1)
    for order in orders[:2]:
        world.app.endings.needs_attention(order.order_id, {"Error": "States.TaskFailed"})
        world.clock.advance(minutes=1)
    world.clock.advance(hours=2)
    olle, seen, cursor = world.actor("olle.operations"), [], None
    while True:
        page = world.app.orders.needing_attention(olle, timedelta(hours=1), PageRequest(limit=1, cursor=cursor))
        assert len(page.items) == 1
        seen += [order.order_id for order in page.items]
        if page.next is None:
            break
        cursor = page.next
    assert seen == [order.order_id for order in orders]


@pytest.mark.parametrize("user_id", ["kim.service", "hanna.handler", "ada.admin"])
def test_only_operations_see_them(world: World, user_id: str):
    with pytest.raises(NotAllowed):
        world.app.orders.needing_attention(world.actor(user_id), timedelta(hours=1), FIRST)
