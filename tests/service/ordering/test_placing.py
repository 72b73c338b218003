"""Placing and reading orders through ordering's ports (R-ONB-1, R-ONB-2, R-ORD-1, R-ORD-7…9)."""

from __future__ import annotations

import pytest

from chalicelib.ordering.model import HistoryAction, Step
from chalicelib.ordering.services import FIRST_PAUSE_SECONDS, NUMBER_ATTEMPTS
from chalicelib.shared.errors import InvalidRequest, NotAllowed, NotFound
from chalicelib.shared.transactions import ConcurrentChange
from local.people import agent_review, direct_order, via_agent_order
from tests.fakes.world import FIRST, World
from tests.faults import crash_once


def test_a_submit_stores_the_order_and_its_first_event_together_and_starts_its_workflow(world: World):
    """R-ORD-8: a number and a history from the first moment."""
    order = world.submit("olivia.orderer", via_agent_order())
    stored, history = world.orders.with_history(order.order_id) or (None, [])
    assert stored == order and order.number == "RITM0000001"
    assert [(event.action, event.actor_id) for event in history] == [(HistoryAction.SUBMITTED, "olivia.orderer")]
    assert world.store.commits == 1
    assert world.workflow.started[order.order_id] == {
        "order_id": order.order_id,
        "flow": "via_agent",
        "decision_timeout_seconds": 7 * 24 * 3600,
        "orderer_id": "olivia.orderer",
        "awaits_orderer_approval": False,  # R-REQ-3: not a requisitioner's orderer
    }


def test_a_submit_reads_what_it_checks_once_and_again_after_a_number_was_taken_meanwhile(world: World, monkeypatch):
    """R-ORD-8: the order's reads are one (one BatchGetItem on DynamoDB); a concurrent submit that drew the number
    read makes the commit fail, and the retry reads afresh and draws the next one."""
    read = world.submit_reads.for_submit

    def a_number_taken_after_the_first_read(*args, **kwargs):
        found = read(*args, **kwargs)
        if world.submit_reads.reads == 1:
            world.numbers.last += 1  # another submit drew it
        return found

    monkeypatch.setattr(world.submit_reads, "for_submit", a_number_taken_after_the_first_read)
    order = world.submit("olivia.orderer", via_agent_order())
    assert world.submit_reads.reads == 2
    assert order.number == "RITM0000002" and world.numbers.last == 2
    world.submit("olivia.orderer", direct_order())
    assert world.submit_reads.reads == 3


def test_submits_that_drew_the_same_number_pause_longer_each_time_and_the_last_attempt_still_places_it(
    world: World, monkeypatch
):
    """R-ORD-8 under contention: every attempt but the last finds its number taken by another submit; each retry
    waits a random pause whose ceiling doubles, and the order is placed with the next free number."""
    read = world.submit_reads.for_submit
    pauses: list[float] = []

    def taken_until_the_last_attempt(*args, **kwargs):
        found = read(*args, **kwargs)
        if world.submit_reads.reads < NUMBER_ATTEMPTS:
            world.numbers.last += 1  # another submit drew it
        return found

    monkeypatch.setattr(world.submit_reads, "for_submit", taken_until_the_last_attempt)
    monkeypatch.setattr(world.app.orders, "_pause", pauses.append)
    order = world.submit("olivia.orderer", via_agent_order())
    assert world.submit_reads.reads == NUMBER_ATTEMPTS
    assert order.number == f"RITM{NUMBER_ATTEMPTS:07d}"
    assert len(pauses) == NUMBER_ATTEMPTS - 1
    for attempt, pause in enumerate(pauses, start=1):
        assert 0 <= pause <= FIRST_PAUSE_SECONDS * 2 ** (attempt - 1)
    assert sum(pauses) <= FIRST_PAUSE_SECONDS * (2 ** (NUMBER_ATTEMPTS - 1) - 1)


def test_a_submit_that_never_finds_a_free_number_is_refused_without_writing(world: World, monkeypatch):
    read = world.submit_reads.for_submit

    def always_taken(*args, **kwargs):
        found = read(*args, **kwargs)
        world.numbers.last += 1
        return found

    monkeypatch.setattr(world.submit_reads, "for_submit", always_taken)
    monkeypatch.setattr(world.app.orders, "_pause", lambda seconds: None)
    with pytest.raises(ConcurrentChange):
        world.submit("olivia.orderer", direct_order())
    assert world.submit_reads.reads == NUMBER_ATTEMPTS
    assert world.orders.orders == {} and world.workflow.started == {}


def test_the_same_key_from_the_same_orderer_is_one_order(world: World):
    first = world.submit("olivia.orderer", direct_order(), key="same-key-1")
    again = world.submit("olivia.orderer", direct_order(), key="same-key-1")
    other = world.submit("ada.admin", direct_order(), key="same-key-1")
    assert first.order_id == again.order_id != other.order_id
    assert len(world.orders.orders) == 2 and len(world.workflow.started) == 2


def test_a_failed_start_of_the_workflow_is_tried_again(world: World, monkeypatch):
    """The order is stored with the start of its workflow; a failed start is tried again by the outbox."""
    calls = crash_once(monkeypatch, world.workflow, "start")
    order = world.submit("olivia.orderer", direct_order(), key="retried-key")
    assert len(calls) == 2 and world.failed_deliveries == [("workflow.start", "ConnectionError")]
    again = world.submit("olivia.orderer", direct_order(), key="retried-key")
    assert again.order_id == order.order_id
    assert list(world.orders.orders) == [order.order_id]
    assert list(world.workflow.started) == [order.order_id]
    assert world.numbers.last == 1  # the resubmit found the order and drew no second number


def test_an_organisation_on_an_older_agreement_cannot_order(world: World):
    """R-ONB-1."""
    with pytest.raises(NotAllowed, match="current customer agreement"):
        world.submit("oskar.orderer", direct_order(attester_id="otto.attester"))
    assert world.orders.orders == {}


@pytest.mark.parametrize("user_id", ["adam.attester", "hanna.handler", "kim.service"])
def test_only_an_orderer_orders(world: World, user_id: str):
    """R-ONB-2."""
    with pytest.raises(NotAllowed):
        world.submit(user_id, direct_order())


def test_a_refused_order_uses_no_number(world: World):
    """R-ORD-8: numbers are drawn only once every rule holds."""
    world.submit("olivia.orderer", direct_order())
    with pytest.raises(InvalidRequest) as refused:
        world.submit("olivia.orderer", direct_order(attester_id="alva.attester"))
    assert refused.value.field == "attester_id" and refused.value.code == "ordering.attester_not_of_organisation"
    assert world.submit("olivia.orderer", direct_order()).number == "RITM0000002"


def test_the_price_is_the_start_up_fee_and_a_price_per_care_unit(world: World):
    """R-ORD-1."""
    order = world.submit("olivia.orderer", via_agent_order())
    assert order.price.total == order.price.start_up_fee + 2 * order.price.price_per_care_unit


def test_an_order_is_read_by_its_customer_its_agent_and_customer_service_only(world: World):
    order = world.submit("olivia.orderer", via_agent_order())
    for reader in ("olivia.orderer", "adam.attester", "hanna.handler", "kim.service"):
        assert world.app.orders.read(world.actor(reader), order.order_id)[0].order_id == order.order_id
    for outsider in ("oskar.orderer", "erik.handler"):
        with pytest.raises(NotFound):
            world.app.orders.read(world.actor(outsider), order.order_id)


def test_lists_of_mine_and_my_organisations_orders_newest_first(world: World):
    mine = world.submit("olivia.orderer", direct_order())
    world.clock.advance(minutes=1)
    colleagues = world.submit("ada.admin", direct_order())
    olivia = world.actor("olivia.orderer")
    assert [o.order_id for o in world.app.orders.my_orders(olivia, FIRST).items] == [mine.order_id]
    assert [o.order_id for o in world.app.orders.organisation_orders(olivia, FIRST).items] == [
        colleagues.order_id,
        mine.order_id,
    ]


def test_the_agent_queue_holds_orders_only_while_they_wait_for_the_agent(world: World):
    """R-ORD-7."""
    order = world.submit("olivia.orderer", via_agent_order())
    hanna = world.actor("hanna.handler")
    assert world.app.orders.agent_queue(hanna, FIRST).items == []  # submitted, no step open yet
    world.open_step(order.order_id, Step.AGENT_APPROVAL)
    assert [o.order_id for o in world.app.orders.agent_queue(hanna, FIRST).items] == [order.order_id]
    assert world.app.orders.agent_queue(world.actor("erik.handler"), FIRST).items == []
    with pytest.raises(NotAllowed):
        world.app.orders.agent_queue(world.actor("olivia.orderer"), FIRST)


def test_only_customer_service_sees_cases(world: World):
    assert world.app.orders.cases(world.actor("kim.service"), FIRST).items == []
    with pytest.raises(NotAllowed):
        world.app.orders.cases(world.actor("hanna.handler"), FIRST)


def test_a_submit_after_the_terms_changed_is_refused_until_the_new_terms_are_accepted(world: World):
    """Seed 000 step 7: the order records the terms accepted, and when; only the current ones count."""
    current = world.catalogues.current()
    assert current is not None
    world.catalogues.replace(current.model_copy(update={"version": current.version + 1, "terms_version": 2}))
    with pytest.raises(InvalidRequest) as refused:
        world.submit("olivia.orderer", direct_order())
    assert refused.value.field == "terms_version" and refused.value.params == {"accepted": 1, "current": 2}
    assert world.orders.orders == {} and world.numbers.last == 0
    world.clock.advance(minutes=5)
    order = world.submit("olivia.orderer", direct_order(terms_version=2))
    assert (order.terms_version, order.terms_accepted_at) == (2, world.clock.now)


def test_the_progress_of_an_order_shows_who_acts_next_to_whoever_may_read_it(world: World):
    """R-ORD-2, R-ORD-5: the tracker of an order, read as the order is read."""
    order = world.submit("olivia.orderer", via_agent_order())
    steps = world.app.orders.progress(world.actor("olivia.orderer"), order.order_id)
    assert [(entry.step, entry.state.value, [p.name for p in entry.people]) for entry in steps] == [
        (Step.AGENT_APPROVAL, "current", ["Hanna Handler", "Hugo Handler"]),
        (Step.AGENT_ATTESTATION, "to_come", []),
        (Step.CUSTOMER_ATTESTATION, "to_come", ["Adam Attester"]),
    ]
    world.decide("hanna.handler", world.open_step(order.order_id, Step.AGENT_APPROVAL), agent_review=agent_review())
    steps = world.app.orders.progress(world.actor("kim.service"), order.order_id)
    assert [(entry.state.value, [p.name for p in entry.people]) for entry in steps] == [
        ("done", ["Hanna Handler"]),
        ("current", ["Alva Attester"]),
        ("to_come", ["Adam Attester"]),
    ]
    with pytest.raises(NotFound):
        world.app.orders.progress(world.actor("erik.handler"), order.order_id)
