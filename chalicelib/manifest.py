"""Names the code, the deployment (infra/) and the local product (local/) must agree on, written once."""

from __future__ import annotations

from dataclasses import dataclass

APP_NAME = "service-orders"
METRICS_NAMESPACE = "ServiceOrders"
ORDER_WORKFLOW_FILE = "statemachines/order_workflow.asl.json"


@dataclass(frozen=True)
class Function:
    """A Lambda function of the app besides the API."""

    name: str  # its name in the app; deployed as <APP_NAME>-<stage>-<name>

    def function_name(self, stage: str) -> str:
        return f"{APP_NAME}-{stage}-{self.name}"


@dataclass(frozen=True)
class Task(Function):
    """A Lambda function the order workflow calls."""

    placeholder: str  # the ${...} substitution in the state machine definition its ARN fills


REQUEST_DECISION = Task("request_decision", "RequestDecisionFunctionArn")
CREATE_CASE = Task("create_case", "CreateCaseFunctionArn")
CLOSE_ORDER = Task("close_order", "CloseOrderFunctionArn")
NOTIFY_OPERATIONS = Task("notify_operations", "NotifyOperationsFunctionArn")
HOLD_FOR_ORDERER = Task("hold_for_orderer", "HoldForOrdererFunctionArn")  # R-REQ-3

WORKFLOW_TASKS = (REQUEST_DECISION, CREATE_CASE, CLOSE_ORDER, NOTIFY_OPERATIONS, HOLD_FOR_ORDERER)

# Fed by the table's stream and the outbox's retry queue (their event source mappings are in infra/).
DELIVER_OUTBOX = Function("deliver_outbox")

# Fed by the booking events queue (SQS, ReportBatchItemFailures; its redrive policy and dead-letter queue are in
# infra/): applies the partner events the API kept.
PROCESS_BOOKING_EVENTS = Function("process_booking_events")


@dataclass(frozen=True)
class Scheduled(Function):
    """A Lambda function run on a schedule (an EventBridge rule Chalice declares with it)."""

    every_minutes: int


RECONCILE_ORDERS = Scheduled("reconcile_orders", every_minutes=15)


# The smoke test's attester (`make smoke`): a number from the range Sweden's regulator keeps for fiction, so it
# is nobody's phone. A stage's SMS adapter sends a code for it to the stage's smoke-codes topic instead.
SMOKE_TEST_PHONE = "+46701740699"


@dataclass(frozen=True)
class PasswordPolicy:
    """What a password must be: the deployed user pool (infra/) and the embedded one (local/) are made with it,
    and a refusal of a weak password says it."""

    min_length: int = 12
    require_lowercase: bool = True
    require_uppercase: bool = True
    require_digits: bool = True
    require_symbols: bool = True
    temporary_password_days: int = 7  # an administrator's temporary password, until the first sign-in


# What the portal's app client signs in with (a password; tokens refreshed). A new password on the first sign-in
# and a forgotten password need no flow of their own: they answer a challenge of, or stand beside, the first.
SIGN_IN_FLOWS = ("ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")


PASSWORD_POLICY = PasswordPolicy()


@dataclass(frozen=True)
class GatewayError:
    """An answer API Gateway gives by itself, before any function runs, in the body every error of the API has
    (`entrypoints/http.py` ErrorBody). infra/ sets one GatewayResponse per entry; the local product answers the
    same way."""

    response_type: str  # API Gateway's GatewayResponse type
    code: str
    message: str | None  # None: the gateway's own message


GATEWAY_ERRORS = (
    GatewayError("UNAUTHORIZED", "auth.not_signed_in", "Sign in first: send Authorization: Bearer <id_token>."),
    GatewayError("ACCESS_DENIED", "auth.token_not_valid", "Your sign-in is not valid or has expired; sign in again."),
    # API Gateway's answer to a path (or a method) no route has.
    GatewayError("MISSING_AUTHENTICATION_TOKEN", "request.no_such_route", "No such route."),
    GatewayError("DEFAULT_4XX", "request.refused", None),
    GatewayError("DEFAULT_5XX", "internal", "Something went wrong on our side; nothing was lost. Try again."),
)


def gateway_error(response_type: str) -> GatewayError:
    return next(error for error in GATEWAY_ERRORS if error.response_type == response_type)
