"""Operations resume an order the workflow handed to them, once the broken release is fixed: in progress again
where it stood, under a new execution started once, with its history saying who resumed it."""

from __future__ import annotations

from chalicelib.ordering.model import HistoryAction, OrderStatus, Step
from chalicelib.ordering.ports import ExecutionStatus
from chalicelib.ordering.resumption import Resumption
from local.people import direct_order
from tests.fakes.world import World

FAILED = {"Error": "States.TaskFailed", "Cause": "injected failure of create_case"}


def resumption(world: World) -> Resumption:
    return Resumption(world.orders, world.outbox, world.store, world.clock)


def handed_to_operations(world: World, *, opened: bool) -> tuple[str, str | None]:
    """A direct order whose customer attestation was decided (the case failed) or is open (its task failed)."""
    order_id = world.submit("olivia.orderer", direct_order()).order_id
    link = world.open_step(order_id, Step.CUSTOMER_ATTESTATION)
    if not opened:
        world.attest("adam.attester", link)
    world.workflow.statuses[order_id] = ExecutionStatus.FAILED
    world.app.endings.needs_attention(order_id, FAILED)
    world.flush()
    return order_id, link if opened else None


def test_an_order_needing_attention_is_resumed_once_at_case_creation_by_the_operator_named(world: World):
    order_id, _ = handed_to_operations(world, opened=False)
    resumed = resumption(world).resume(order_id, 3600, operator="Oskar Operations")
    world.flush()

    assert resumed is not None and resumed.resumed
    assert world.workflow.started[f"{order_id}-resume-1"] == {
        "order_id": order_id,
        "flow": "direct",
        "decision_timeout_seconds": 3600,
        "orderer_id": "olivia.orderer",
        "awaits_orderer_approval": False,  # R-REQ-3: as when it was submitted
        "resume_at": "create_case",
    }
    stored, history = world.orders.with_history(order_id) or (None, [])
    assert stored is not None and stored.status is OrderStatus.IN_PROGRESS and stored.resumptions == 1
    assert (history[-1].action, history[-1].actor_id, history[-1].actor_name) == (
        HistoryAction.RESUMED,
        "operations",
        "Oskar Operations",
    )

    again = resumption(world).resume(order_id, 3600, operator="Oskar Operations")
    world.flush()
    assert again is not None and not again.resumed
    assert [name for name in world.workflow.started if name.startswith(order_id)] == [order_id, f"{order_id}-resume-1"]

    world.app.endings.create_case(order_id)
    completed, history = world.orders.with_history(order_id) or (None, [])
    assert completed is not None and completed.status is OrderStatus.COMPLETED
    assert [event.action for event in history][-3:] == [
        HistoryAction.NEEDS_ATTENTION,
        HistoryAction.RESUMED,
        HistoryAction.CASE_CREATED,
    ]


def test_a_step_that_was_open_is_open_again_with_its_link_and_answers_the_new_execution(world: World):
    order_id, link = handed_to_operations(world, opened=True)
    resumed = resumption(world).resume(order_id, 3600)
    world.flush()
    assert resumed is not None and resumed.order.current_step is Step.CUSTOMER_ATTESTATION
    assert world.workflow.started[f"{order_id}-resume-1"]["resume_at"] == "customer_attestation"
    _, history = world.orders.with_history(order_id) or (None, [])
    assert history[-1].actor_name == "Operations"

    # The new execution's task opens the step again: the same link, no second mail, its own token answered.
    assert world.open_step_again(order_id, Step.CUSTOMER_ATTESTATION, "token-resumed") == []
    assert link is not None
    world.attest("adam.attester", link)
    assert world.workflow.answers["token-resumed"]["outcome"] == "approved"


def test_an_order_that_does_not_need_attention_is_not_resumed(world: World):
    order_id = world.submit("olivia.orderer", direct_order()).order_id
    resumed = resumption(world).resume(order_id, 3600)
    assert resumed is not None and not resumed.resumed and resumed.order.status is OrderStatus.IN_PROGRESS
    assert resumption(world).resume("0" * 32, 3600) is None


def test_the_reconciliation_follows_the_resumed_execution(world: World):
    """The failed execution hands nothing over again; a lost start is started under the new name, where the
    order stood; an execution the order was resumed out of is stopped."""
    order_id, _ = handed_to_operations(world, opened=False)
    world.workflow.statuses[order_id] = ExecutionStatus.RUNNING  # say it had not ended yet
    resumption(world).resume(order_id, 3600)
    world.outbox.take_new()  # the start is lost
    world.clock.advance(minutes=11)

    repairs = world.app.reconciler.reconcile()
    assert repairs.started == [order_id] and repairs.handed_over == []
    assert world.workflow.started[f"{order_id}-resume-1"]["resume_at"] == "create_case"
    assert repairs.stopped == [order_id] and world.workflow.statuses[order_id] is ExecutionStatus.ABORTED
    assert world.app.reconciler.reconcile().count == 0
