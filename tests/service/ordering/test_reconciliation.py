"""Orders and executions held to each other by the scheduled reconciliation: none stored but never
started, none started but never stored, none whose execution ended without it."""

from __future__ import annotations

from chalicelib.ordering.model import HistoryAction, OrderStatus
from chalicelib.ordering.ports import ExecutionStatus
from local.people import direct_order
from tests.fakes.world import OPERATIONS, World


def stored_but_never_started(world: World) -> str:
    """An order whose start was lost before the outbox existed, or whose start went to the dead letters."""
    order = world.submit("olivia.orderer", direct_order())
    del world.workflow.started[order.order_id], world.workflow.statuses[order.order_id]
    return order.order_id


def test_an_order_stored_but_never_started_is_started_once_it_has_settled(world: World):
    order_id = stored_but_never_started(world)
    assert world.app.reconciler.reconcile().count == 0  # just stored: its start may still be on its way
    world.clock.advance(minutes=11)
    repairs = world.app.reconciler.reconcile()
    assert repairs.started == [order_id]
    assert world.workflow.statuses[order_id] is ExecutionStatus.RUNNING
    assert world.workflow.started[order_id]["order_id"] == order_id
    assert world.app.reconciler.reconcile().count == 0  # and nothing more to do


def test_an_order_whose_execution_ended_without_it_goes_to_operations(world: World):
    order = world.submit("olivia.orderer", direct_order())
    world.workflow.statuses[order.order_id] = ExecutionStatus.FAILED
    world.clock.advance(minutes=11)
    assert world.app.reconciler.reconcile().handed_over == [order.order_id]
    world.flush()
    stored, history = world.orders.with_history(order.order_id) or (None, [])
    assert stored is not None and stored.status is OrderStatus.NEEDS_ATTENTION
    assert history[-1].action is HistoryAction.NEEDS_ATTENTION and history[-1].note == "ExecutionFailed"
    assert len(world.mail.to(OPERATIONS)) == 1
    assert world.app.reconciler.reconcile().count == 0


def test_an_execution_without_an_order_or_with_an_ended_one_is_stopped(world: World):
    world.workflow.start("0" * 32, {"order_id": "0" * 32})  # started, never stored
    ended = world.submit("olivia.orderer", direct_order())
    stored, version = world.orders.get(ended.order_id) or (None, 0)
    assert stored is not None
    stored.status = OrderStatus.COMPLETED
    transaction = world.store.begin()
    world.orders.save(transaction, stored, version, [])
    transaction.commit()
    world.clock.advance(minutes=11)
    repairs = world.app.reconciler.reconcile()
    assert sorted(repairs.stopped) == sorted(["0" * 32, ended.order_id])
    assert world.workflow.statuses["0" * 32] is ExecutionStatus.ABORTED


def test_a_running_order_and_its_running_execution_are_left_alone(world: World):
    world.submit("olivia.orderer", direct_order())
    world.clock.advance(hours=5)
    assert world.app.reconciler.reconcile().count == 0


def test_a_running_order_no_step_has_moved_for_the_stages_limit_is_reported_as_waiting(world: World):
    """Not repaired (its execution runs as it should), but counted for the alarm orders-waiting-too-long."""
    order = world.submit("olivia.orderer", direct_order())
    world.clock.advance(hours=47)
    assert world.app.reconciler.reconcile().waiting == []
    world.clock.advance(hours=2)
    repairs = world.app.reconciler.reconcile()
    assert repairs.waiting == [order.order_id]
    assert repairs.count == 0
    assert world.workflow.statuses[order.order_id] is ExecutionStatus.RUNNING
