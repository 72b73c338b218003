"""The embedded AWS for the local product and the tests: moto with Step Functions executing the real
definition, its Lambda tasks dispatched in-process to the Chalice app's `@app.lambda_function`s.

Dev-only: this package is never shipped to Lambda (Chalice packages only app.py and chalicelib/).
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import secrets
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from email.message import EmailMessage
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

import boto3
import moto
from moto import mock_aws
from moto.awslambda.models import LambdaBackend
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.responses import DynamoHandler
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

from chalicelib.adapters.dynamo.schema import APPLICATION_TABLE, IDEMPOTENCY_TABLE
from chalicelib.manifest import (
    APP_NAME,
    DELIVER_OUTBOX,
    ORDER_WORKFLOW_FILE,
    PASSWORD_POLICY,
    PROCESS_BOOKING_EVENTS,
    RECONCILE_ORDERS,
    SIGN_IN_FLOWS,
    WORKFLOW_TASKS,
    Task,
)
from chalicelib.shared.identity import Role
from local import moto_patches, practice
from local.event_sources import EventSources, scheduled_event

ROOT = Path(__file__).resolve().parent.parent
DEFINITION = ROOT / ORDER_WORKFLOW_FILE
JWKS_FILE = Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-public.json.gz"
REGION = "eu-north-1"
STAGE = "dev"
ACCOUNT_ID = "123456789012"  # moto's default account
SENDER = "orders@provider.example"
# Receptions of a booking event before the queue sets it aside, as the stage's redrive policy.
BOOKING_EVENT_ATTEMPTS = 5


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

    def run(self, name: str, event: Any) -> Any:
        """Runs the function `name` as Lambda would; raises what it raises (or an injected failure)."""
        from chalice.local import LambdaContext

        with self.lock:
            self.invocations[name] += 1
            injected = self.failures.get(name, 0)
            if injected:
                self.failures[name] = injected - 1
        if injected:
            raise RuntimeError(f"injected failure of {name}")
        return self.handlers[name](event, LambdaContext(f"{APP_NAME}-{STAGE}-{name}", 512))

    def invoke(self, function_name: str, body: bytes | str | None, response_headers: dict[str, str]) -> bytes:
        name = function_name.rsplit(":", 1)[-1].removeprefix(f"{APP_NAME}-{STAGE}-")
        try:
            result = self.run(name, json.loads(body or "{}"))
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
    event_sources: EventSources
    # Each sent mail as the outbox shows it, by its id: a mail sent whole is parsed once, not on every read.
    _mails: dict[str, dict[str, Any]] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]

    # --- what people would read ------------------------------------------------------------------

    def sent_emails(self, start: int = 0) -> list[dict[str, Any]]:
        """Every mail sent, in the order sent, from the `start`th on (moto only ever appends to its list)."""
        backend = moto.backends.get_backend("ses")[ACCOUNT_ID][REGION]
        return [dict(self._mail(message)) for message in backend.sent_messages[start:]]

    def mail_count(self) -> int:
        """How many mails have been sent."""
        return len(moto.backends.get_backend("ses")[ACCOUNT_ID][REGION].sent_messages)

    def sms_count(self) -> int:
        """How many SMS have been sent."""
        return len(moto.backends.get_backend("sns")[ACCOUNT_ID][REGION].sms_messages)

    def _mail(self, message: Any) -> dict[str, Any]:
        found = self._mails.get(message.id)
        if found is None:
            found = self._mails[message.id] = (
                raw_email(message.id, message.source, message.raw_data)
                if hasattr(message, "raw_data")
                else {
                    "id": message.id,
                    "from": message.source,
                    "to": list(message.destinations.get("ToAddresses", [])),
                    "subject": message.subject,
                    "body": message.body,
                    "attachments": [],
                }
            )
        return found

    def emails_to(self, address: str, containing: str, timeout: float = 20.0) -> list[dict[str, Any]]:
        """The mails to `address` whose body holds `containing`, waiting for the first: mails leave through the
        outbox, a moment after the change that owes them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.sent_emails() if address in m["to"] and containing in m["body"]]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.02)

    def sent_sms(self, start: int = 0) -> list[dict[str, str]]:
        """Every SMS sent, in the order sent, from the `start`th on: copied while moto's SMS writes wait
        (`SentTexts`), as other threads text while a person reads."""
        texts = moto.backends.get_backend("sns")[ACCOUNT_ID][REGION].sms_messages
        with getattr(texts, "lock", nullcontext()):
            sent = list(islice(texts.items(), start, None))
        return [{"id": mid, "to": phone, "text": text} for mid, (phone, text) in sent]

    def execution(self, order_id: str, timeout: float = 20.0, sfn: Any = None) -> dict[str, Any]:
        """The order's execution, once the outbox has started it."""
        sfn = sfn or self.client("stepfunctions")
        arn = self.environment["STATE_MACHINE_ARN"].replace(":stateMachine:", ":execution:") + f":{order_id}"
        deadline = time.monotonic() + timeout
        while True:
            try:
                return dict(sfn.describe_execution(executionArn=arn))
            except sfn.exceptions.ExecutionDoesNotExist:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def wait_for_execution(self, order_id: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        sfn = self.client("stepfunctions")  # one client for every look: a client costs more than the call
        while True:
            execution = self.execution(order_id, sfn=sfn)
            if execution["status"] != "RUNNING" or time.monotonic() > deadline:
                return execution
            time.sleep(0.05)


def _create_resources(environment: dict[str, str]) -> dict[str, str]:
    """Creates what the stage's stack would, and returns what only exists once created (ids, queue URLs)."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for schema, name in (
        (APPLICATION_TABLE, environment["TABLE_NAME"]),
        (IDEMPOTENCY_TABLE, environment["IDEMPOTENCY_TABLE_NAME"]),
    ):
        dynamodb.create_table(**schema.create_table_arguments(name))
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": schema.ttl_attribute}
        )

    sqs = boto3.client("sqs", region_name=REGION)
    dead_letters = sqs.create_queue(QueueName=f"{APP_NAME}-outbox-dead-letters")["QueueUrl"]
    retries = sqs.create_queue(QueueName=f"{APP_NAME}-outbox-retries")["QueueUrl"]
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name=environment["LINK_SECRET_ID"], SecretString=secrets.token_urlsafe(32)
    )
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name=environment["IDENTITY_KEY_SECRET_ID"], SecretString=secrets.token_urlsafe(32)
    )
    # Booking events: a message received this many times without being applied is set aside (the stack's
    # redrive policy has the same number).
    booking_dead_letters = sqs.create_queue(QueueName=f"{APP_NAME}-booking-events-dead-letters")["QueueUrl"]
    booking_events = sqs.create_queue(
        QueueName=f"{APP_NAME}-booking-events",
        Attributes={
            "RedrivePolicy": json.dumps(
                {
                    "deadLetterTargetArn": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{APP_NAME}-booking-events-dead-letters",
                    "maxReceiveCount": str(BOOKING_EVENT_ATTEMPTS),
                }
            )
        },
    )["QueueUrl"]
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name=f"{environment['PARTNER_SECRET_PREFIX']}{practice.PARTNER_ID}", SecretString=practice.PARTNER_SECRET
    )
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket=environment["INVOICE_BUCKET"],
        CreateBucketConfiguration={"LocationConstraint": REGION},  # type: ignore[typeddict-item]
    )

    cognito = boto3.client("cognito-idp", region_name=REGION)
    # As infra/ makes the deployed pool, in what sign-in depends on: the password policy, administrators creating
    # every account, codes for a forgotten password by e-mail, and no answer that tells whether a user exists.
    pool = cognito.create_user_pool(
        PoolName="service-orders",
        Schema=[{"Name": "org_id", "AttributeDataType": "String", "Mutable": True}],
        Policies={
            "PasswordPolicy": {
                "MinimumLength": PASSWORD_POLICY.min_length,
                "RequireLowercase": PASSWORD_POLICY.require_lowercase,
                "RequireUppercase": PASSWORD_POLICY.require_uppercase,
                "RequireNumbers": PASSWORD_POLICY.require_digits,
                "RequireSymbols": PASSWORD_POLICY.require_symbols,
                "TemporaryPasswordValidityDays": PASSWORD_POLICY.temporary_password_days,
            }
        },
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        AccountRecoverySetting={"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
    )["UserPool"]
    app_client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName="portal",
        GenerateSecret=False,
        ExplicitAuthFlows=list(SIGN_IN_FLOWS),  # type: ignore[arg-type]  # the names, as Cognito spells them
        PreventUserExistenceErrors="ENABLED",
        EnableTokenRevocation=True,
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
    return {
        "COGNITO_USER_POOL_ID": pool["Id"],
        "COGNITO_APP_CLIENT_ID": app_client["ClientId"],
        "OUTBOX_RETRY_QUEUE_URL": retries,
        "OUTBOX_DEAD_LETTER_QUEUE_URL": dead_letters,
        "BOOKING_EVENTS_QUEUE_URL": booking_events,
        "BOOKING_EVENTS_DEAD_LETTER_QUEUE_URL": booking_dead_letters,
    }


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
        "LINK_SECRET_ID": f"{APP_NAME}-link-secret",
        "IDENTITY_KEY_SECRET_ID": f"{APP_NAME}-identity-key",
        "INVOICE_BUCKET": f"{APP_NAME}-invoices",
        "PARTNER_SECRET_PREFIX": f"{APP_NAME}/partners/",
        # Outbox retries wait a second, not a minute, so a person trying the product sees them through.
        "OUTBOX_FIRST_RETRY_SECONDS": "1",
        # Every request of the local product comes from one network address: the tests and the fuzzer register
        # many orderers from it. The limit per address still holds.
        "REGISTRATIONS_PER_NETWORK": "100000",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": APP_NAME,
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
    }


# The workflow's Retry waits minutes between attempts (people take days); the embedded engine waits a hundredth.
RETRY_TIME_SCALE = 0.01


class _ScaledTime:
    """Stands in for the `time` module in moto's retrier, whose only use of it is the wait between attempts."""

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds * self.scale)


class SentTexts(OrderedDict[str, tuple[str, str]]):
    """moto's SNS `sms_messages` (message id: phone, text) with a lock its writes take: a copy of an OrderedDict
    that meets an entry added by another thread is refused ("mutated during iteration"), so `sent_sms` copies
    under the same lock. Writes are otherwise moto's."""

    def __init__(self, *args: Any) -> None:
        self.lock = threading.Lock()
        super().__init__(*args)

    def __setitem__(self, key: str, value: tuple[str, str]) -> None:
        with self.lock:
            super().__setitem__(key, value)


_dynamodb_lock = threading.RLock()


def _serialised(call_action: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """moto's DynamoDB is not thread-safe (a transaction deep-copies the table while another thread writes to
    it); DynamoDB is. Step Functions runs tasks in threads of its own, so every DynamoDB call takes a turn."""

    def locked(self: Any) -> Any:
        with _dynamodb_lock:
            return call_action(self)

    return locked


# Per table, how many of its stream's first records have been dropped once read (see `_stream_records`); by name,
# since moto's own transaction rollback (without the patch) puts back a copy of the table, stream included.
_dropped_records: dict[str, int] = {}


def _stream_records(table_name: str, position: int) -> list[dict[str, Any]]:
    """The table's stream records from `position` on (counted from the stream's first record), read from moto's
    table itself: without the patch of `transact_write_items`, moto undoes a failed transaction by restoring a copy
    of the table, stream included, which leaves shard iterators reading the old copy; and every GetRecords keeps a
    new iterator for good. Read under the DynamoDB lock, so no record of a transaction still running is seen.

    The event source mapping is the stream's only reader and asks from where it has read to: the records before
    `position` are dropped from moto's shard, as moto itself empties a shard once it has fed its own event source
    mappings, and as AWS trims a stream (after 24 hours). The shard's starting sequence number moves past them, so
    the records that follow keep their sequence numbers in order. moto kept every record, each with the item's
    image, for as long as the product ran."""
    with _dynamodb_lock:
        shard = moto.backends.get_backend("dynamodb")[ACCOUNT_ID][REGION].get_table(table_name).stream_shard
        if shard is None:
            return []
        read = max(0, position - _dropped_records.get(table_name, 0))
        if read:
            del shard.items[:read]
            shard.starting_sequence_number += read
            _dropped_records[table_name] = _dropped_records.get(table_name, 0) + read
        return [record.to_json() for record in shard.items]


def _queue_ready(queue_url: str) -> bool:
    """Whether moto's queue holds a message that ReceiveMessage would return now (visible and not delayed)."""
    queue = moto.backends.get_backend("sqs")[ACCOUNT_ID][REGION].get_queue(queue_url.rsplit("/", 1)[-1])
    return bool(queue.messages)


@contextmanager
def embedded_aws(
    app: Any,
    base_url: str = "http://127.0.0.1:8000",
    decision_timeout_seconds: int = 7 * 24 * 3600,
    retry_time_scale: float = RETRY_TIME_SCALE,
) -> Iterator[EmbeddedAws]:
    """Everything the product needs, in this process, for as long as the context lasts."""
    environment = local_environment(base_url, decision_timeout_seconds)
    created_later = (
        "COGNITO_USER_POOL_ID",
        "COGNITO_APP_CLIENT_ID",
        "OUTBOX_RETRY_QUEUE_URL",
        "OUTBOX_DEAD_LETTER_QUEUE_URL",
        "BOOKING_EVENTS_QUEUE_URL",
        "BOOKING_EVENTS_DEAD_LETTER_QUEUE_URL",
    )
    saved = {name: os.environ.get(name) for name in (*environment, *created_later)}
    os.environ.update(environment)
    functions = (*WORKFLOW_TASKS, DELIVER_OUTBOX, PROCESS_BOOKING_EVENTS, RECONCILE_ORDERS)
    handlers = {function.name: app.handler_map[function.name] for function in functions}
    dispatcher = LambdaDispatcher(handlers=handlers)

    def patched_invoke(
        self: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: dict[str, str]
    ) -> bytes:
        return dispatcher.invoke(function_name, body, response_headers)

    originals = (
        LambdaBackend.invoke,
        LambdaSimpleBackend.invoke,
        DynamoHandler.call_action,
        DynamoDBBackend.transact_write_items,
    )
    retrier_time = vars(retrier_decl)["time"]
    setattr(retrier_decl, "time", _ScaledTime(retry_time_scale))  # noqa: B010 - moto does not export the name
    LambdaBackend.invoke = patched_invoke  # type: ignore[method-assign]
    LambdaSimpleBackend.invoke = patched_invoke  # type: ignore[method-assign]
    DynamoHandler.call_action = _serialised(DynamoHandler.call_action)  # type: ignore[method-assign]
    DynamoDBBackend.transact_write_items = moto_patches.transact_write_items  # type: ignore[method-assign]
    patches = ExitStack()
    patches.enter_context(moto_patches.keyed_queries())
    patches.enter_context(moto_patches.plain_attribute_values())
    patches.enter_context(moto_patches.kept_task_clients())
    patches.enter_context(moto_patches.parsed_definitions())
    patches.enter_context(moto_patches.summed_item_sizes())
    patches.enter_context(moto_patches.interned_strings())
    patches.enter_context(moto_patches.weakly_tracked_models())
    patches.enter_context(moto_patches.parsed_json_paths())
    patches.enter_context(moto_patches.kept_action_names())
    patches.enter_context(moto_patches.shared_data_loaders())
    patches.enter_context(moto_patches.released_threads())
    mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}})
    mock.start()
    _dropped_records.clear()  # moto starts every table afresh
    sources: EventSources | None = None
    try:
        created = _create_resources(environment)
        texts = moto.backends.get_backend("sns")[ACCOUNT_ID][REGION]
        texts.sms_messages = SentTexts(texts.sms_messages)  # before any thread texts
        os.environ.update(created)
        environment = {**environment, **created}
        sources = EventSources(
            relay=lambda event: dispatcher.run(DELIVER_OUTBOX.name, event),
            read_stream=partial(_stream_records, environment["TABLE_NAME"]),
            retry_queue_url=created["OUTBOX_RETRY_QUEUE_URL"],
            dead_letter_queue_url=created["OUTBOX_DEAD_LETTER_QUEUE_URL"],
            region=REGION,
            ready=_queue_ready,
            queues=[
                (
                    created["BOOKING_EVENTS_QUEUE_URL"],
                    lambda event: dispatcher.run(PROCESS_BOOKING_EVENTS.name, event),
                )
            ],
            schedules=[
                (
                    partial(
                        dispatcher.run,
                        RECONCILE_ORDERS.name,
                        scheduled_event(RECONCILE_ORDERS.name, ACCOUNT_ID, REGION),
                    ),
                    RECONCILE_ORDERS.every_minutes * 60.0,
                )
            ],
        )
        sources.start()
        yield EmbeddedAws(
            environment, dispatcher, created["COGNITO_USER_POOL_ID"], created["COGNITO_APP_CLIENT_ID"], sources
        )
    finally:
        if sources is not None:
            sources.stop()
        mock.stop()
        LambdaBackend.invoke = originals[0]  # type: ignore[method-assign]
        LambdaSimpleBackend.invoke = originals[1]  # type: ignore[method-assign]
        DynamoHandler.call_action = originals[2]  # type: ignore[method-assign]
        DynamoDBBackend.transact_write_items = originals[3]  # type: ignore[method-assign]
        patches.close()
        setattr(retrier_decl, "time", retrier_time)  # noqa: B010
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def raw_email(message_id: str, source: str, raw_data: str) -> dict[str, Any]:
    """A mail sent whole (MIME, with files) as the outbox shows it: its HTML part, and each file's content."""
    message = email.message_from_string(raw_data, policy=email.policy.default)
    if not isinstance(message, EmailMessage):  # the default policy always makes one
        raise TypeError(f"mail {message_id} did not parse as a message")
    html = message.get_body(preferencelist=("html", "plain"))
    return {
        "id": message_id,
        "from": source,
        "to": [address.strip() for address in str(message["To"]).split(",")],
        "subject": str(message["Subject"]),
        "body": html.get_content() if html is not None else "",
        "attachments": [
            {"filename": part.get_filename(), "content_type": part.get_content_type(), "content": part.get_content()}
            for part in message.iter_attachments()
        ],
    }
