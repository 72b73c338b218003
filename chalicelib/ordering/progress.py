"""Where an order stands, as a tracker shows it: each step of its flow's chain (R-ORD-2), whether it is done,
current or still to come, and who decided it (its history, R-ORD-8) or who decides it (R-ORD-5)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from chalicelib.ordering.model import HistoryAction, HistoryEvent, Model, Order, OrderStatus, Step
from chalicelib.ordering.rules import assignees
from chalicelib.shared.errors import InvalidRequest
from chalicelib.shared.identity import Person, Role


class StepState(StrEnum):
    DONE = "done"  # approved
    CURRENT = "current"  # open for a decision, or the next to open while the order is in progress
    TO_COME = "to_come"
    ENDED = "ended"  # the order ended here: rejected, cancelled, timed out, or handed to operations (R-ORD-3)
    NOT_REACHED = "not_reached"  # after the step the order ended at: nobody will decide it


class Decider(Model):
    user_id: str
    name: str


class TrackedStep(Model):
    step: Step
    state: StepState
    people: list[Decider] = Field(default_factory=list, description="who decided it, or who decides it")
    decided_at: datetime | None = None


DECISIONS = (HistoryAction.APPROVED, HistoryAction.REJECTED, HistoryAction.CANCELLED)


def progress(order: Order, history: list[HistoryEvent], people: list[Person]) -> list[TrackedStep]:
    """`people` are those the directory knows who may decide a step of `order`: the agent's case handlers, the
    customer's attester (anyone else is ignored). The agent's attester is the one its review chose."""
    decided = {event.step: event for event in history if event.step is not None and event.action in DECISIONS}
    remaining = [step for step in order.chain if step not in order.completed_steps]
    in_progress = order.status is OrderStatus.IN_PROGRESS
    stopped_at = remaining[0] if remaining and not in_progress else None
    waiting_for = (order.current_step or order.next_step()) if in_progress else None

    tracked: list[TrackedStep] = []
    for step in order.chain:
        if step in order.completed_steps:
            tracked.append(_decided(step, StepState.DONE, decided.get(step)))
        elif step is stopped_at and step in decided:
            tracked.append(_decided(step, StepState.ENDED, decided[step]))  # rejected or cancelled (R-ORD-3)
        elif step is stopped_at:
            # Timed out, or handed to operations: the people it waited for.
            tracked.append(TrackedStep(step=step, state=StepState.ENDED, people=_deciders(order, step, people)))
        elif stopped_at is not None:
            tracked.append(TrackedStep(step=step, state=StepState.NOT_REACHED))
        else:
            state = StepState.CURRENT if step is waiting_for else StepState.TO_COME
            tracked.append(TrackedStep(step=step, state=state, people=_deciders(order, step, people)))
    return tracked


def _decided(step: Step, state: StepState, event: HistoryEvent | None) -> TrackedStep:
    if event is None:  # a history without the decision: the step is known done, not by whom
        return TrackedStep(step=step, state=state)
    return TrackedStep(
        step=step, state=state, people=[Decider(user_id=event.actor_id, name=event.actor_name)], decided_at=event.at
    )


def _deciders(order: Order, step: Step, people: list[Person]) -> list[Decider]:
    """R-ORD-5, as `rules.assignees` decides it: the agent's case handlers, the attester the agent's handler
    chose (nobody yet before agent approval), the attester the orderer chose."""
    handlers = [person for person in people if person.has_role(Role.AGENT_CASE_HANDLER)]
    try:
        user_ids = assignees(order, step, handlers)
    except InvalidRequest:
        return []  # agent attestation before the agent's handler chose its attester
    names = {person.user_id: person.name for person in people}
    if order.agent_review is not None:
        names.setdefault(order.agent_review.attester_id, order.agent_review.attester_name)
    return [Decider(user_id=user_id, name=names.get(user_id, user_id)) for user_id in user_ids]
