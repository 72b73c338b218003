"""The API, the pages and the workflow's task functions. Each turns its input into one service call."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from botocore.exceptions import ClientError
from chalice.app import AuthRequest, AuthResponse, Chalice, Request, Response

from chalicelib.adapters.table import ConcurrentChange
from chalicelib.bootstrap import container
from chalicelib.domain.commands import Decide, PlaceOrder, SignIn
from chalicelib.domain.errors import DomainError, InvalidRequest, NotSignedIn
from chalicelib.domain.model import Order, Role, Step, User
from chalicelib.http import BadRequest, error_response, json_response, parse
from chalicelib.observability import logger, metrics, publish_metrics, tracer

# One logger: Powertools'. Chalice's own would share its name ("service-orders"), so it adds none.
app = Chalice(app_name="service-orders", configure_logs=False)

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
PAGE_HEADERS: dict[str, str | list[str]] = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "Referrer-Policy": "no-referrer",  # approval links must not leak through Referer
    "X-Content-Type-Options": "nosniff",
}


class TransientError(Exception):
    """A task failed for a reason worth retrying; the state machine's Retry takes it by this name."""


# --- middleware -----------------------------------------------------------------------------------


@app.middleware("http")
def http_observability(event: Request, get_response: Callable[[Request], Response]) -> Response:
    # The route pattern, never the path: an approval link's id is a secret.
    route = event.context.get("resourcePath", "?")
    logger.append_keys(route=route, method=event.method)
    try:
        with tracer.provider.in_subsegment(f"## {event.method} {route}"):
            response = get_response(event)
    finally:
        publish_metrics()
        logger.remove_keys(["route", "method", "correlation_id"])
    return response


@app.middleware("pure_lambda")
def task_observability(event: Any, get_response: Callable[[Any], Any]) -> Any:
    logger.set_correlation_id(event.event.get("order_id"))  # R-ORD-8: one order, one thread of logs
    try:
        return get_response(event)
    finally:
        publish_metrics()
        logger.set_correlation_id(None)


def handles_errors(view: Callable[..., Response]) -> Callable[..., Response]:
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - every known failure becomes its own 4xx
            response = error_response(error)
            if response is None:
                logger.exception("Request failed")
                return json_response(
                    {"message": "Something went wrong on our side; nothing was lost. Try again.", "errors": []}, 500
                )
            logger.info("Request refused", extra={"status": response.status_code, "error": type(error).__name__})
            return response

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


# --- identity -------------------------------------------------------------------------------------


@app.authorizer()
def authorizer(auth_request: AuthRequest) -> AuthResponse:
    """Verifies the Cognito ID token (signature, issuer, audience, expiry) with the pool's JWKS."""
    token = auth_request.token.removeprefix("Bearer ").strip()
    try:
        claims = container().verifier.verify(token)
    except NotSignedIn:
        return AuthResponse(routes=[], principal_id="anonymous")
    return AuthResponse(routes=["*"], principal_id=claims.user_id, context={"org_id": claims.org_id})


def current_user() -> User:
    request = app.current_request
    assert request is not None
    authorized = request.context.get("authorizer") or {}
    user_id = authorized.get("principalId")
    user = container().table.get_user(user_id) if user_id else None
    if user is None or user.org_id != authorized.get("org_id"):
        raise NotSignedIn("Your account is not in the directory.")
    return user


def body() -> bytes | str | None:
    request = app.current_request
    assert request is not None
    return request.raw_body


@app.route("/api/session", methods=["POST"])
@handles_errors
def sign_in() -> Response:
    command = parse(SignIn, body())
    return json_response(container().sign_in.sign_in(command.username, command.password))


@app.route("/api/me", authorizer=authorizer)
@handles_errors
def me() -> Response:
    user = current_user()
    attesters = container().table.organisation_users(user.org_id, Role.ATTESTER)
    organisation = container().table.get_organisation(user.org_id)
    return json_response(
        {
            **user.model_dump(mode="json"),
            "organisation": organisation.model_dump(mode="json") if organisation else None,
            "attesters": [{"user_id": a.user_id, "name": a.name} for a in attesters],
        }
    )


# --- orders ---------------------------------------------------------------------------------------


@app.route("/api/catalogue", authorizer=authorizer)
@handles_errors
def catalogue() -> Response:
    return json_response(container().orders.catalogue().model_dump(mode="json"))


def order_summary(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "number": order.number,
        "status": order.status.value,
        "current_step": order.current_step.value if order.current_step else None,
        "offering_name": order.offering.name,
        "customer_name": order.customer_name,
        "created_at": order.created_at.isoformat(),
        "case_number": order.case_number,
    }


_submit: Callable[..., dict[str, Any]] | None = None
_idempotency_config = IdempotencyConfig(
    event_key_jmespath="[user_id, idempotency_key]",
    payload_validation_jmespath="command",
    expires_after_seconds=24 * 3600,
)


def idempotent_submit() -> Callable[..., dict[str, Any]]:
    """Powertools idempotency: a repeated Idempotency-Key returns the first answer and starts nothing."""
    global _submit
    if _submit is None:
        persistence = DynamoDBPersistenceLayer(table_name=container().settings.idempotency_table_name)

        @idempotent_function(  # type: ignore[untyped-decorator]
            data_keyword_argument="request", persistence_store=persistence, config=_idempotency_config
        )
        def submit(request: dict[str, Any], user: User, command: PlaceOrder) -> dict[str, Any]:
            order = container().orders.submit(user, command, request["idempotency_key"])
            metrics.add_metric(name="OrdersSubmitted", unit=MetricUnit.Count, value=1)
            return order_summary(order)

        _submit = submit
    return _submit


@app.route("/api/orders", methods=["POST"], authorizer=authorizer)
@handles_errors
def submit_order() -> Response:
    user = current_user()
    command = parse(PlaceOrder, body())
    request = app.current_request
    assert request is not None
    key = request.headers.get("idempotency-key", "")
    if not IDEMPOTENCY_KEY.match(key):
        raise BadRequest(
            "Send an Idempotency-Key header (8-128 letters, digits, - or _) with every order.",
            [{"field": "Idempotency-Key", "reason": "missing or malformed"}],
        )
    _idempotency_config.register_lambda_context(app.lambda_context)  # type: ignore[arg-type]
    summary = idempotent_submit()(
        request={"user_id": user.user_id, "idempotency_key": key, "command": command.model_dump(mode="json")},
        user=user,
        command=command,
    )
    logger.set_correlation_id(summary["order_id"])
    logger.info("Order submitted", extra={"number": summary["number"]})
    return json_response(summary, 201, {"Location": f"/api/orders/{summary['order_id']}"})


@app.route("/api/orders", authorizer=authorizer)
@handles_errors
def list_orders() -> Response:
    user = current_user()
    request = app.current_request
    assert request is not None
    scope = request.query_params.get("scope", "mine") if request.query_params else "mine"
    if scope == "mine":
        orders = container().orders.my_orders(user)
    elif scope == "organisation":
        orders = container().orders.organisation_orders(user)
    else:
        raise BadRequest("Unknown scope.", [{"field": "scope", "reason": "must be 'mine' or 'organisation'"}])
    return json_response({"orders": [order_summary(order) for order in orders]})


@app.route("/api/orders/{order_id}", authorizer=authorizer)
@handles_errors
def read_order(order_id: str) -> Response:
    if not re.fullmatch(r"[0-9a-f]{32}", order_id):
        raise BadRequest("Unknown order id.", [{"field": "order_id", "reason": "not an order id"}])
    logger.set_correlation_id(order_id)
    order, history = container().orders.read(current_user(), order_id)
    return json_response(
        {"order": order.model_dump(mode="json"), "history": [event.model_dump(mode="json") for event in history]}
    )


@app.route("/api/pending", authorizer=authorizer)
@handles_errors
def pending_actions() -> Response:
    return json_response({"pending": container().orders.pending_actions(current_user())})


@app.route("/api/agent/queue", authorizer=authorizer)
@handles_errors
def agent_queue() -> Response:
    return json_response({"orders": [order_summary(o) for o in container().orders.agent_queue(current_user())]})


@app.route("/api/cases", authorizer=authorizer)
@handles_errors
def cases() -> Response:
    return json_response({"cases": container().orders.cases(current_user())})


# --- decisions ------------------------------------------------------------------------------------


def checked_approval_id(approval_id: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_-]{20,64}", approval_id):
        raise InvalidRequest("This link is not valid.", field="approval_id")
    return approval_id


@app.route("/api/approvals/{approval_id}", authorizer=authorizer)
@handles_errors
def view_approval(approval_id: str) -> Response:
    return json_response(container().decisions.view(checked_approval_id(approval_id), current_user()))


@app.route("/api/approvals/{approval_id}/code", methods=["POST"], authorizer=authorizer)
@handles_errors
def send_one_time_code(approval_id: str) -> Response:
    return json_response(container().decisions.send_code(checked_approval_id(approval_id), current_user()), 202)


@app.route("/api/approvals/{approval_id}/decision", methods=["POST"], authorizer=authorizer)
@handles_errors
def decide(approval_id: str) -> Response:
    user = current_user()
    command = parse(Decide, body())
    result = container().decisions.decide(checked_approval_id(approval_id), user, command)
    logger.set_correlation_id(result["order_id"])
    logger.info("Decision recorded", extra={"step": result["step"], "outcome": result["outcome"]})
    metrics.add_metric(name="DecisionsRecorded", unit=MetricUnit.Count, value=1)
    return json_response(result)


# --- pages ----------------------------------------------------------------------------------------


def page(template: str, **context: Any) -> Response:
    html = container().templates.get_template(f"pages/{template}").render(**context)
    return Response(body=html, status_code=200, headers=PAGE_HEADERS)


@app.route("/")
def home_page() -> Response:
    return page("home.html")


@app.route("/approvals/{approval_id}")
def approval_page(approval_id: str) -> Response:
    """Only the page: the order is fetched by the signed-in assignee's browser, so opening changes nothing."""
    return page("approval.html")


@app.route("/orders/{order_id}")
def order_page(order_id: str) -> Response:
    return page("order.html")


@app.route("/favicon.ico")
def favicon() -> Response:
    return Response(body="", status_code=204, headers={"Cache-Control": "max-age=86400"})


@app.route("/assets/{name}")
def asset(name: str) -> Response:
    kinds = {"portal.js": "text/javascript; charset=utf-8", "portal.css": "text/css; charset=utf-8"}
    if name not in kinds:
        return json_response({"message": "No such asset.", "errors": []}, 404)
    text = container().templates.get_template(f"assets/{name}").render()
    return Response(
        body=text,
        status_code=200,
        headers={"Content-Type": kinds[name], "Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"},
    )


# --- workflow tasks -------------------------------------------------------------------------------


def task(run: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """Conflicts and throttling become TransientError, which the state machine retries with backoff;
    anything else fails the task under its own name, which the state machine hands to operations."""

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            return run(event)
        except ConcurrentChange as error:
            raise TransientError("The order changed meanwhile") from error
        except ClientError as error:
            if error.response["Error"]["Code"] in (
                "ThrottlingException",
                "ProvisionedThroughputExceededException",
                "TooManyRequestsException",
                "ServiceUnavailable",
            ):
                raise TransientError(error.response["Error"]["Code"]) from error
            raise
        except DomainError:
            logger.exception("Task refused")
            raise

    handler.__name__ = run.__name__
    return handler


@app.lambda_function(name="request_decision")
@tracer.capture_lambda_handler
@task
def request_decision(event: dict[str, Any]) -> dict[str, Any]:
    """Opened by a `.waitForTaskToken` state; the workflow waits until the decision is delivered."""
    approval = container().decisions.open(
        event["order_id"], Step(event["step"]), event["task_token"], int(event["timeout_seconds"])
    )
    logger.info("Decision requested", extra={"step": approval.step.value, "assignees": len(approval.assignees)})
    return {"step": approval.step.value}


@app.lambda_function(name="create_case")
@tracer.capture_lambda_handler
@task
def create_case(event: dict[str, Any]) -> dict[str, Any]:
    result = container().completion.create_case(event["order_id"])
    metrics.add_metric(name="OrdersCompleted", unit=MetricUnit.Count, value=1)
    logger.info("Case created", extra=result)
    return result


@app.lambda_function(name="close_order")
@tracer.capture_lambda_handler
@task
def close_order(event: dict[str, Any]) -> dict[str, Any]:
    result = container().completion.close(event["order_id"], event["outcome"])
    logger.info("Order ended", extra=result)
    return result


@app.lambda_function(name="notify_operations")
@tracer.capture_lambda_handler
@task
def notify_operations(event: dict[str, Any]) -> dict[str, Any]:
    result = container().completion.needs_attention(event["order_id"], event.get("error") or {})
    metrics.add_metric(name="OrdersNeedingAttention", unit=MetricUnit.Count, value=1)
    logger.warning("Order needs attention", extra=result)
    return result


@app.route("/api/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
