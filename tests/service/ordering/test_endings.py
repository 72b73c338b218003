"""How orders end, through ordering's ports: the case, a decline or timeout told to those concerned, and
operations called in (R-ORD-3, Flow 2 step 5)."""

from __future__ import annotations

from chalicelib.ordering.model import Ending, HistoryAction, OrderStatus, Step
from local.people import agent_review, direct_order, via_agent_order
from tests.fakes.world import CUSTOMER_SERVICE, FIRST, OPERATIONS, World


def approved_via_agent(world: World) -> str:
    order = world.submit("olivia.orderer", via_agent_order())
    world.decide("hanna.handler", world.open_step(order.order_id, Step.AGENT_APPROVAL), agent_review=agent_review())
    world.attest("alva.attester", world.open_step(order.order_id, Step.AGENT_ATTESTATION))
    world.attest("adam.attester", world.open_step(order.order_id, Step.CUSTOMER_ATTESTATION))
    return order.order_id


def test_a_case_is_created_once_and_the_agent_and_the_orderer_are_told(world: World):
    order_id = approved_via_agent(world)
    result = world.app.endings.create_case(order_id)
    assert world.app.endings.create_case(order_id) == result  # a retried task makes no second case
    world.flush()
    order, history = world.orders.with_history(order_id) or (None, [])
    assert order is not None and order.status is OrderStatus.COMPLETED
    assert result == {"case_number": "CS" + order.number.removeprefix("RITM")}
    assert [event.action for event in history].count(HistoryAction.CASE_CREATED) == 1
    assert [case.order_id for case in world.orders.cases(FIRST).items] == [order_id]
    # Seed 002 step 5: both of the agent's case handlers hear it, once each.
    started = [
        mail
        for mail in world.mail.sent
        if "påbörja den tekniska anslutningen" in mail.subject or "start the technical connection" in mail.subject
    ]
    assert sorted(mail.to[0] for mail in started) == [
        "hanna.handler@agent-cgm.example",
        "hugo.handler@agent-cgm.example",
    ]
    assert (
        len([mail for mail in world.mail.to("olivia.orderer@region-norrby.example") if "är klar" in mail.subject]) == 1
    )


def test_a_direct_orders_case_goes_to_customer_service(world: World):
    order = world.submit("olivia.orderer", direct_order())
    world.attest("adam.attester", world.open_step(order.order_id, Step.CUSTOMER_ATTESTATION))
    world.app.endings.create_case(order.order_id)
    world.flush()
    told = world.mail.to(CUSTOMER_SERVICE)
    assert len(told) == 1 and order.order_id in told[0].text


def test_a_rejection_ends_the_order_and_tells_the_orderer_and_the_agent_why(world: World):
    """R-ORD-3."""
    order = world.submit("olivia.orderer", via_agent_order())
    approval_id = world.open_step(order.order_id, Step.AGENT_APPROVAL)
    world.decide("hanna.handler", approval_id, "reject", reason="Not our customer.")
    assert world.app.endings.close(order.order_id, Ending.DECLINED) == {"status": "rejected"}
    world.flush()
    # Each in their own language: Hugo reads English, the others Swedish.
    ended = [mail for mail in world.mail.sent if "har avslutats" in mail.subject or "has ended" in mail.subject]
    assert [mail.to for mail in ended if "has ended" in mail.subject] == [["hugo.handler@agent-cgm.example"]]
    # One message per person: nobody sees the others' addresses.
    assert sorted(address for mail in ended for address in mail.to) == [
        "hanna.handler@agent-cgm.example",
        "hugo.handler@agent-cgm.example",
        "olivia.orderer@region-norrby.example",
    ]
    assert all(len(mail.to) == 1 for mail in ended)
    assert all("Not our customer." in mail.text for mail in ended)
    assert "Hanna Handler stoppade den vid Agentens godkännande" in ended[0].text  # in Swedish, her language


def test_a_timeout_ends_the_order_and_says_so(world: World):
    """R-ORD-3."""
    order = world.submit("olivia.orderer", direct_order())
    world.open_step(order.order_id, Step.CUSTOMER_ATTESTATION)
    assert world.app.endings.close(order.order_id, Ending.TIMED_OUT) == {"status": "timed_out"}
    assert world.app.endings.close(order.order_id, Ending.TIMED_OUT) == {"status": "timed_out"}  # retried
    world.flush()
    history = (world.orders.with_history(order.order_id) or (None, []))[1]
    assert [event.action for event in history].count(HistoryAction.TIMED_OUT) == 1
    told = world.mail.to("olivia.orderer@region-norrby.example")
    assert told and "within the time limit" in told[-1].text


def test_operations_are_called_in_when_the_workflow_gives_up(world: World):
    order = world.submit("olivia.orderer", direct_order())
    error = {"Error": "States.TaskFailed", "Cause": "x" * 5000}
    assert world.app.endings.needs_attention(order.order_id, error) == {"status": "needs_attention"}
    world.app.endings.needs_attention(order.order_id, error)
    world.flush()
    history = (world.orders.with_history(order.order_id) or (None, []))[1]
    assert [event.action for event in history].count(HistoryAction.NEEDS_ATTENTION) == 1
    told = world.mail.to(OPERATIONS)
    assert len(told) == 1 and "States.TaskFailed" in told[0].text and "x" * 1001 not in told[0].text
