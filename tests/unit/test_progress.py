"""Where an order stands: each step of its chain (R-ORD-2) done, current or to come, with who decided it
(R-ORD-8) or who decides it (R-ORD-5)."""

from __future__ import annotations

from chalicelib.ordering.model import HistoryEvent, Order, Step
from chalicelib.ordering.progress import StepState, TrackedStep, progress
from chalicelib.signing.ports import SigningMethod

from .fixtures import AGENT_ATTESTER, ATTESTER, HANDLER, NOW, ORDERER, command, placed
from .test_order_lifecycle import REVIEW

SMS = SigningMethod.SMS_ONE_TIME_CODE
SECOND_HANDLER = HANDLER.model_copy(update={"user_id": "handler-2", "name": "Hugo"})
PEOPLE = [HANDLER, SECOND_HANDLER, ATTESTER, ORDERER]


def decide(order: Order, history: list[HistoryEvent], step: Step, approve: bool = True) -> None:
    opened = order.open_step(step, NOW)
    history.extend([opened] if opened else [])
    actor = {Step.AGENT_APPROVAL: HANDLER, Step.AGENT_ATTESTATION: AGENT_ATTESTER}.get(step, ATTESTER)
    history.append(
        order.decide(
            step,
            actor=actor,
            approve=approve,
            reason=None if approve else "No.",
            now=NOW,
            signing_method=None if step is Step.AGENT_APPROVAL else SMS,
            agent_review=REVIEW if step is Step.AGENT_APPROVAL else None,
        )
    )


def shown(tracked: list[TrackedStep]) -> list[tuple[str, str, list[str]]]:
    return [(entry.step.value, entry.state.value, [person.user_id for person in entry.people]) for entry in tracked]


def test_a_submitted_via_agent_order_waits_for_the_agents_handlers_and_its_attester_is_not_chosen_yet():
    assert shown(progress(placed(), [], PEOPLE)) == [
        ("agent_approval", "current", ["handler", "handler-2"]),
        ("agent_attestation", "to_come", []),
        ("customer_attestation", "to_come", ["attester"]),
    ]


def test_a_decided_step_names_who_decided_it_and_when_and_the_next_names_the_attester_the_agent_chose():
    order, history = placed(), list[HistoryEvent]()
    decide(order, history, Step.AGENT_APPROVAL)
    tracked = progress(order, history, PEOPLE)
    assert shown(tracked) == [
        ("agent_approval", "done", ["handler"]),
        ("agent_attestation", "current", ["agent-attester"]),
        ("customer_attestation", "to_come", ["attester"]),
    ]
    assert tracked[0].decided_at == NOW and tracked[1].people[0].name == "Alva"
    assert tracked[2].people[0].name == "Adam"


def test_a_completed_order_is_done_at_every_step_by_the_people_who_signed():
    order, history = placed(), list[HistoryEvent]()
    for step in order.chain:
        decide(order, history, step)
    order.complete("CS1", NOW)
    assert shown(progress(order, history, PEOPLE)) == [
        ("agent_approval", "done", ["handler"]),
        ("agent_attestation", "done", ["agent-attester"]),
        ("customer_attestation", "done", ["attester"]),
    ]


def test_an_order_cancelled_at_a_step_ended_there_and_reached_no_further():
    """R-ORD-3."""
    order, history = placed(), list[HistoryEvent]()
    decide(order, history, Step.AGENT_APPROVAL)
    decide(order, history, Step.AGENT_ATTESTATION, approve=False)
    assert shown(progress(order, history, PEOPLE)) == [
        ("agent_approval", "done", ["handler"]),
        ("agent_attestation", "ended", ["agent-attester"]),
        ("customer_attestation", "not_reached", []),
    ]


def test_a_timed_out_step_names_who_it_waited_for():
    order = placed(cmd=command(offering_id="direct", source_system=None, agent_org_id=None, declarations={}))
    history = [event for event in (order.open_step(Step.CUSTOMER_ATTESTATION, NOW), order.time_out(NOW)) if event]
    assert shown(progress(order, history, PEOPLE)) == [("customer_attestation", "ended", ["attester"])]


def test_a_direct_order_has_one_step_decided_by_the_orderers_attester():
    """R-ORD-2: a direct order passes customer attestation only."""
    order = placed(cmd=command(offering_id="direct", source_system=None, agent_org_id=None, declarations={}))
    tracked = progress(order, [], PEOPLE)
    assert [(entry.step, entry.state) for entry in tracked] == [(Step.CUSTOMER_ATTESTATION, StepState.CURRENT)]
    assert [person.name for person in tracked[0].people] == ["Adam"]


def test_only_the_agents_own_handlers_decide_its_approval():
    """R-ORD-5: a case handler of another agent is not among those the step waits for."""
    elsewhere = HANDLER.model_copy(update={"user_id": "other-handler", "org_id": "other-agent"})
    assert shown(progress(placed(), [], [*PEOPLE, elsewhere]))[0] == (
        "agent_approval",
        "current",
        ["handler", "handler-2"],
    )
