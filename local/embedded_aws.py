"""The embedded AWS for the local product and the tests: moto with Step Functions executing the real
definition, its Lambda tasks dispatched in-process to the Chalice app's `@app.lambda_function`s.

Dev-only: this package is never shipped to Lambda (Chalice packages only app.py and chalicelib/).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import moto
from moto import mock_aws
from moto.awslambda.models import LambdaBackend
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.dynamodb.responses import DynamoHandler

from chalicelib.adapters.dynamo.schema import APPLICATION_TABLE, IDEMPOTENCY_TABLE
from chalicelib.manifest import APP_NAME, ORDER_WORKFLOW_FILE, WORKFLOW_TASKS, Task
from chalicelib.shared.identity import Role

ROOT = Path(__file__).resolve().parent.parent
DEFINITION = ROOT / ORDER_WORKFLOW_FILE
JWKS_FILE = Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-public.json.gz"
REGION = "eu-north-1"
STAGE = "dev"
ACCOUNT_ID = "123456789012"  # moto's default account
SENDER = "orders@provider.example"


def function_arn(task: Task) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{task.function_name(STAGE)}"


def definition() -> str:
    """The deployed file, with the same substitutions CDK makes."""
    text = DEFINITION.read_text()
    for task in WORKFLOW_TASKS:
        text = text.replace("${" + task.placeholder + "}", function_arn(task))
    return text


@dataclass
class LambdaDispatcher:
    """Runs a task state's Lambda invoke on the Chalice app's handler of the same name."""

    handlers: dict[str, Callable[..., Any]]
    invocations: Counter[str] = field(default_factory=Counter)
    failures: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def invoke(self, function_name: str, body: bytes | str | None, response_headers: dict[str, str]) -> bytes:
        from chalice.local import LambdaContext

        name = function_name.rsplit(":", 1)[-1].removeprefix(f"{APP_NAME}-{STAGE}-")
        with self.lock:
            self.invocations[name] += 1
            injected = self.failures.get(name, 0)
            if injected:
                self.failures[name] = injected - 1
        event = json.loads(body or "{}")
        try:
            if injected:
                raise RuntimeError(f"injected failure of {name}")
            result = self.handlers[name](event, LambdaContext(f"{APP_NAME}-{STAGE}-{name}", 512))
        except Exception as error:  # noqa: BLE001 - a Lambda error, as AWS reports one
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)}).encode()
        return json.dumps(result).encode()


@dataclass
class EmbeddedAws:
    environment: dict[str, str]
    dispatcher: LambdaDispatcher
    user_pool_id: str
    app_client_id: str

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]

    # --- what people would read ------------------------------------------------------------------

    def sent_emails(self) -> list[dict[str, Any]]:
        backend = moto.backends.get_backend("ses")[ACCOUNT_ID][REGION]
        return [
            {
                "id": message.id,
                "from": message.source,
                "to": list(message.destinations.get("ToAddresses", [])),
                "subject": message.subject,
                "body": message.body,
            }
            for message in backend.sent_messages
        ]

    def sent_sms(self) -> list[dict[str, str]]:
        backend = moto.backends.get_backend("sns")[ACCOUNT_ID][REGION]
        return [{"id": mid, "to": phone, "text": text} for mid, (phone, text) in backend.sms_messages.items()]

    def execution(self, order_id: str) -> dict[str, Any]:
        sfn = self.client("stepfunctions")
        arn = self.environment["STATE_MACHINE_ARN"].replace(":stateMachine:", ":execution:") + f":{order_id}"
        return dict(sfn.describe_execution(executionArn=arn))

    def wait_for_execution(self, order_id: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            execution = self.execution(order_id)
            if execution["status"] != "RUNNING" or time.monotonic() > deadline:
                return execution
            time.sleep(0.05)


def _create_resources(environment: dict[str, str]) -> tuple[str, str]:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for schema, name in (
        (APPLICATION_TABLE, environment["TABLE_NAME"]),
        (IDEMPOTENCY_TABLE, environment["IDEMPOTENCY_TABLE_NAME"]),
    ):
        dynamodb.create_table(**schema.create_table_arguments(name))
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": schema.ttl_attribute}
        )

    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool = cognito.create_user_pool(
        PoolName="service-orders",
        Schema=[{"Name": "org_id", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]
    app_client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="portal",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    for role in Role:
        cognito.create_group(GroupName=role.value, UserPoolId=pool["Id"])

    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=environment["MAIL_SENDER"])

    sfn = boto3.client("stepfunctions", region_name=REGION)
    sfn.create_state_machine(
        name="service-orders-order-workflow",
        definition=definition(),
        roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/service-orders-workflow",
    )
    return pool["Id"], app_client["ClientId"]


def local_environment(base_url: str, decision_timeout_seconds: int) -> dict[str, str]:
    return {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "embedded",
        "AWS_SECRET_ACCESS_KEY": "embedded",
        "TABLE_NAME": "service-orders",
        "IDEMPOTENCY_TABLE_NAME": "service-orders-idempotency",
        "STATE_MACHINE_ARN": f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:service-orders-order-workflow",
        "MAIL_SENDER": SENDER,
        "PUBLIC_BASE_URL": base_url,
        "OPERATIONS_EMAIL": "operations@provider.example",
        "CUSTOMER_SERVICE_EMAIL": "customer.service@provider.example",
        "COGNITO_JWKS_FILE": str(JWKS_FILE),
        "DECISION_TIMEOUT_SECONDS": str(decision_timeout_seconds),
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": APP_NAME,
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
    }


_dynamodb_lock = threading.RLock()


def _serialised(call_action: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """moto's DynamoDB is not thread-safe (a transaction deep-copies the table while another thread writes to
    it); DynamoDB is. Step Functions runs tasks in threads of its own, so every DynamoDB call takes a turn."""

    def locked(self: Any) -> Any:
        with _dynamodb_lock:
            return call_action(self)

    return locked


@contextmanager
def embedded_aws(
    app: Any, base_url: str = "http://127.0.0.1:8000", decision_timeout_seconds: int = 7 * 24 * 3600
) -> Iterator[EmbeddedAws]:
    """Everything the product needs, in this process, for as long as the context lasts."""
    environment = local_environment(base_url, decision_timeout_seconds)
    saved = {name: os.environ.get(name) for name in (*environment, "COGNITO_USER_POOL_ID", "COGNITO_APP_CLIENT_ID")}
    os.environ.update(environment)
    dispatcher = LambdaDispatcher(handlers={task.name: app.handler_map[task.name] for task in WORKFLOW_TASKS})

    def patched_invoke(
        self: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: dict[str, str]
    ) -> bytes:
        return dispatcher.invoke(function_name, body, response_headers)

    originals = (LambdaBackend.invoke, LambdaSimpleBackend.invoke, DynamoHandler.call_action)
    LambdaBackend.invoke = patched_invoke  # type: ignore[method-assign]
    LambdaSimpleBackend.invoke = patched_invoke  # type: ignore[method-assign]
    DynamoHandler.call_action = _serialised(DynamoHandler.call_action)  # type: ignore[method-assign]
    mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}})
    mock.start()
    try:
        user_pool_id, app_client_id = _create_resources(environment)
        os.environ["COGNITO_USER_POOL_ID"] = user_pool_id
        os.environ["COGNITO_APP_CLIENT_ID"] = app_client_id
        environment = {**environment, "COGNITO_USER_POOL_ID": user_pool_id, "COGNITO_APP_CLIENT_ID": app_client_id}
        yield EmbeddedAws(environment, dispatcher, user_pool_id, app_client_id)
    finally:
        mock.stop()
        LambdaBackend.invoke, LambdaSimpleBackend.invoke, DynamoHandler.call_action = originals  # type: ignore[method-assign]
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
