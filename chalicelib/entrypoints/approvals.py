"""Decision steps as their assignees use them: the pending list, the step behind a link, a one-time code,
the decision (R-ORD-4…6)."""

from __future__ import annotations

import re

from aws_lambda_powertools.metrics import MetricUnit
from chalice.app import Blueprint, Response

from chalicelib.approvals.commands import Decide
from chalicelib.approvals.reasons import LINK_NOT_VALID
from chalicelib.bootstrap import container
from chalicelib.entrypoints.auth import actor_of, authorizer
from chalicelib.entrypoints.http import handles_errors, json_response, page_request, page_response, parse
from chalicelib.observability import correlate, logger, metrics
from chalicelib.ordering.commands import AgentReviewInput
from chalicelib.shared.errors import InvalidRequest

approvals = Blueprint(__name__)


class DecisionBody(Decide):
    """The decision, with what a subject asks for beside it: the agent's review when approving an order."""

    agent_review: AgentReviewInput | None = None


def checked(approval_id: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_-]{20,64}", approval_id):
        raise InvalidRequest(LINK_NOT_VALID, field="approval_id")
    return approval_id


@approvals.route("/api/pending", authorizer=authorizer)
@handles_errors
def pending_actions() -> Response:
    request = approvals.current_request
    return page_response("pending", container().decisions.pending(actor_of(request), page_request(request)), dict)


@approvals.route("/api/approvals/{approval_id}", authorizer=authorizer)
@handles_errors
def view_approval(approval_id: str) -> Response:
    return json_response(container().decisions.view(checked(approval_id), actor_of(approvals.current_request)))


@approvals.route("/api/approvals/{approval_id}/code", methods=["POST"], authorizer=authorizer)
@handles_errors
def send_one_time_code(approval_id: str) -> Response:
    sent = container().decisions.send_code(checked(approval_id), actor_of(approvals.current_request))
    return json_response(sent, 202)


@approvals.route("/api/approvals/{approval_id}/decision", methods=["POST"], authorizer=authorizer)
@handles_errors
def decide(approval_id: str) -> Response:
    request = approvals.current_request
    actor = actor_of(request)
    body = parse(DecisionBody, request.raw_body)
    result = container().decisions.decide(checked(approval_id), actor, body, body.agent_review)
    correlate(result["subject_id"])
    logger.info("Decision recorded", extra={"step": result["step"], "outcome": result["outcome"]})
    metrics.add_metric(name="DecisionsRecorded", unit=MetricUnit.Count, value=1)
    return json_response(result)
