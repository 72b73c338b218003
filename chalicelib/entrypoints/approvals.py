"""Decision steps as their assignees use them: the pending list, the step behind a link, a one-time code,
the decision (R-ORD-4…6)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from aws_lambda_powertools.metrics import MetricUnit
from chalice.app import Blueprint, Response
from pydantic import ConfigDict, Field, StringConstraints, TypeAdapter

from chalicelib.approvals.commands import Decide
from chalicelib.approvals.model import Outcome
from chalicelib.bootstrap import container
from chalicelib.entrypoints.auth import authorizer
from chalicelib.entrypoints.contract import Access, Call, Relation, Strict, operation, reply
from chalicelib.entrypoints.http import ListQuery, page_request
from chalicelib.observability import correlate, logger, metrics
from chalicelib.ordering.commands import AgentReviewInput
from chalicelib.ordering.model import Order, Step
from chalicelib.shared.errors import (
    AlreadyDone,
    Expired,
    InProgress,
    InvalidRequest,
    NotAllowed,
    NotFound,
    StepOutOfOrder,
    TooManyAttempts,
)

approvals = Blueprint(__name__)

# The opaque id of an e-mailed link (`approvals.model.approval_id`): never the task token.
ApprovalId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{20,64}$")]
ASSIGNEE = Access(relation=Relation.ASSIGNEE, rules="R-ORD-5")


class DecisionBody(Decide):
    """The decision, with what a subject asks for beside it: the agent's review when approving an order."""

    agent_review: AgentReviewInput | None = None


class PendingLine(Strict):
    """A step waiting for the caller, with the order it belongs to (R-ORD-6)."""

    kind: Literal["order"]
    step: Step
    user_id: str
    since: datetime
    order_id: str
    number: str
    customer_name: str
    offering_name: str


class ApplicationPendingLine(Strict):
    """A customer application waiting for the provider's administrator (DOMAIN.md Flow 1 step 2)."""

    kind: Literal["application"]
    step: Literal["provider_approval"]
    user_id: str
    since: datetime
    application_id: str
    organisation_name: str
    org_number: str


AnyPendingLine = Annotated[PendingLine | ApplicationPendingLine, Field(discriminator="kind")]
PENDING_LINE: TypeAdapter[PendingLine | ApplicationPendingLine] = TypeAdapter(
    AnyPendingLine, config=ConfigDict(defer_build=True)
)


class PendingPage(Strict):
    pending: list[AnyPendingLine]
    next: str | None


class NamedPerson(Strict):
    user_id: str
    name: str


class StepView(Strict):
    """What the assignee sees behind a link; opening it changes nothing."""

    step: Step
    state: Literal["open", "decided", "expired"]
    outcome: Outcome | None
    expires_at: datetime
    needs_one_time_code: bool
    order: Order
    agent_attesters: list[NamedPerson] | None = None  # the attesters an agent approval may choose from


class CodeSent(Strict):
    sent_to: str  # the number masked: only its last digits
    expires_at: datetime


class DecisionRecorded(Strict):
    step: Step
    outcome: Outcome
    kind: Literal["order"]
    subject_id: str
    order_id: str


@approvals.route("/api/pending", authorizer=authorizer)
@operation(
    approvals,
    summary="Steps waiting for me, the newest first",
    access=Access(relation=Relation.OWN, rules="R-ORD-6"),
    query=ListQuery,
    responses={200: PendingPage},
    refusals=(InvalidRequest,),
    tag="approvals",
)
def pending_actions(call: Call[None]) -> Response:
    found = container().decisions.pending(call.caller, page_request(call.query))
    return reply(PendingPage(pending=[PENDING_LINE.validate_python(line) for line in found.items], next=found.next))


@approvals.route("/api/approvals/{approval_id}", authorizer=authorizer)
@operation(
    approvals,
    summary="The step behind an e-mailed link",
    description="Reading only: mail scanners open links.",
    access=ASSIGNEE,
    path={"approval_id": ApprovalId},
    responses={200: StepView},
    refusals=(NotFound, NotAllowed),
    tag="approvals",
)
def view_approval(call: Call[None]) -> Response:
    return reply(StepView.model_validate(container().decisions.view(call.path["approval_id"], call.caller)))


@approvals.route("/api/approvals/{approval_id}/code", methods=["POST"], authorizer=authorizer)
@operation(
    approvals,
    summary="Send me a one-time code to sign this attestation",
    access=Access(relation=Relation.ASSIGNEE, rules="R-ORD-4, R-ORD-5"),
    path={"approval_id": ApprovalId},
    responses={202: CodeSent},
    refusals=(NotFound, NotAllowed, InvalidRequest, AlreadyDone, Expired, TooManyAttempts),
    tag="approvals",
)
def send_one_time_code(call: Call[None]) -> Response:
    return reply(CodeSent.model_validate(container().decisions.send_code(call.path["approval_id"], call.caller)), 202)


@approvals.route("/api/approvals/{approval_id}/decision", methods=["POST"], authorizer=authorizer)
@operation(
    approvals,
    summary="Decide the step: approve, or reject (cancel) with a reason",
    description="Single use: of decisions sent at once one is recorded, the others get 409. Attestations need "
    "the one-time code (R-ORD-4).",
    access=ASSIGNEE,
    path={"approval_id": ApprovalId},
    body=DecisionBody,
    responses={200: DecisionRecorded},
    refusals=(NotFound, NotAllowed, InvalidRequest, AlreadyDone, StepOutOfOrder, InProgress, Expired, TooManyAttempts),
    tag="approvals",
)
def decide(call: Call[DecisionBody]) -> Response:
    body = call.body
    result = DecisionRecorded.model_validate(
        container().decisions.decide(call.path["approval_id"], call.caller, body, body.agent_review)
    )
    correlate(result.subject_id)
    logger.info("Decision recorded", extra={"step": result.step.value, "outcome": result.outcome.value})
    metrics.add_metric(name="DecisionsRecorded", unit=MetricUnit.Count, value=1)
    return reply(result)
