"""The order workflow's executions (statemachines/order_workflow.asl.json): what each is named, and where a
resumed one enters the definition. The workflow's business, not the order's, so it stays out of the model."""

from __future__ import annotations

from chalicelib.ordering.model import Order

# Where a resumed execution enters the definition when the whole chain is done (the Choice `ResumeAt`);
# otherwise it enters at the step's own value.
CASE_CREATION = "create_case"
RESUMED_EXECUTION = "-resume-"


def execution_name(order: Order) -> str:
    """The name of the order's current execution: one name per start, so a start repeated starts nothing."""
    if order.resumptions == 0:
        return order.order_id
    return f"{order.order_id}{RESUMED_EXECUTION}{order.resumptions}"


def resume_at(order: Order) -> str | None:
    """Where the order's execution enters the definition: None for a first start (the beginning), else the
    step it stood at when it was handed to operations, or case creation after the whole chain."""
    if order.resumptions == 0:
        return None
    step = order.next_step()
    return step.value if step else CASE_CREATION


def order_of_execution(name: str) -> str:
    """The order an execution carries: the first is named by the order's id, a resumed one by the id and the
    resume's count (`execution_name`)."""
    return name.split(RESUMED_EXECUTION, 1)[0]
