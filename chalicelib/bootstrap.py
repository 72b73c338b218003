"""The composition root: the only place adapters are built and handed to services, once per cold start.

`bootstrap(**overrides)` builds the same services with any adapter replaced (tests pass in-memory fakes);
`container()` is the one the handlers use, built on first use from the environment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import boto3
from botocore.config import Config
from jinja2 import Environment, FileSystemLoader, select_autoescape

from chalicelib.adapters.dynamo.approvals import DynamoApprovals
from chalicelib.adapters.dynamo.directory import DynamoDirectory
from chalicelib.adapters.dynamo.ordering import DynamoCatalogues, DynamoOrderNumbers, DynamoOrders
from chalicelib.adapters.dynamo.signing import DynamoChallenges
from chalicelib.adapters.dynamo.table import DynamoTable
from chalicelib.adapters.idempotency import PowertoolsIdempotency
from chalicelib.adapters.identity import CognitoSignIn, JwksTokenVerifier
from chalicelib.adapters.mail import SesMailSender
from chalicelib.adapters.sms import SnsTextMessages
from chalicelib.adapters.workflow import StepFunctionsWorkflow
from chalicelib.approvals.ports import Approvals, TaskAnswers
from chalicelib.approvals.services import DecisionService
from chalicelib.directory.ports import Directory, PasswordSignIn, TokenVerifier
from chalicelib.directory.services import DirectoryService
from chalicelib.notifications.ports import MailSender
from chalicelib.notifications.services import MailNotifier
from chalicelib.ordering.endings import EndingService
from chalicelib.ordering.ports import Catalogues, OrderNumbers, Orders, Workflow
from chalicelib.ordering.services import OrderService
from chalicelib.ordering.steps import OrderSteps
from chalicelib.settings import Settings
from chalicelib.shared.idempotency import Idempotency
from chalicelib.shared.time import Clock, utc_now
from chalicelib.shared.transactions import Transactions
from chalicelib.signing.ports import Challenges, TextMessages
from chalicelib.signing.services import SmsCodeSigner

TEMPLATES = Path(__file__).parent / "templates"

# Standard retry mode: exponential backoff with jitter on throttling and transient errors.
AWS_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=10)


class WorkflowEngine(Workflow, TaskAnswers, Protocol):
    """Starts executions and answers their waiting tasks."""


@dataclass(frozen=True)
class Adapters:
    """One implementation of every port; each may be replaced through `bootstrap(**overrides)`."""

    transactions: Transactions
    directory: Directory
    orders: Orders
    catalogues: Catalogues
    order_numbers: OrderNumbers
    approvals: Approvals
    challenges: Challenges
    workflow: WorkflowEngine
    mail: MailSender
    texts: TextMessages
    verifier: TokenVerifier
    sign_in: PasswordSignIn
    idempotency: Idempotency


@dataclass(frozen=True)
class Container:
    settings: Settings
    adapters: Adapters
    templates: Environment
    notifier: MailNotifier
    directory: DirectoryService
    orders: OrderService
    endings: EndingService
    decisions: DecisionService


def templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def aws_adapters(settings: Settings) -> dict[str, Callable[[], Any]]:
    """How each adapter is built on AWS. Nothing is built until asked for, so a replaced adapter costs nothing."""

    @cache
    def session() -> boto3.session.Session:
        return boto3.session.Session(region_name=settings.aws_region)

    def client(service: str) -> Any:
        return session().client(service, config=AWS_CONFIG)  # type: ignore[call-overload]

    table = cache(lambda: DynamoTable(client("dynamodb"), settings.table_name))
    return {
        "transactions": table,
        "directory": lambda: DynamoDirectory(table()),
        "orders": lambda: DynamoOrders(table()),
        "catalogues": lambda: DynamoCatalogues(table()),
        "order_numbers": lambda: DynamoOrderNumbers(table()),
        "approvals": lambda: DynamoApprovals(table()),
        "challenges": lambda: DynamoChallenges(table()),
        "workflow": lambda: StepFunctionsWorkflow(client("stepfunctions"), settings.state_machine_arn),
        "mail": lambda: SesMailSender(client("ses"), settings.mail_sender, settings.ses_configuration_set),
        "texts": lambda: SnsTextMessages(lambda: client("sns")),
        "verifier": lambda: JwksTokenVerifier(
            settings.cognito_issuer, settings.cognito_app_client_id, settings.jwks_url, settings.cognito_jwks_file
        ),
        "sign_in": lambda: CognitoSignIn(lambda: client("cognito-idp"), settings.cognito_app_client_id),
        "idempotency": lambda: PowertoolsIdempotency(settings.idempotency_table_name),
    }


def bootstrap(settings: Settings | None = None, clock: Clock = utc_now, **overrides: Any) -> Container:
    settings = settings or Settings()  # type: ignore[call-arg]  # read from the environment
    build = aws_adapters(settings)
    if unknown := set(overrides) - {field.name for field in fields(Adapters)}:
        raise TypeError(f"no such adapter: {sorted(unknown)}")
    adapters = Adapters(**{name: overrides[name] if name in overrides else build[name]() for name in build})

    environment = templates()
    notifier = MailNotifier(environment, adapters.mail)
    order_steps = OrderSteps(adapters.orders, adapters.directory)
    signer = SmsCodeSigner(
        adapters.challenges,
        adapters.texts,
        clock,
        timedelta(seconds=settings.one_time_code_ttl_seconds),
        settings.one_time_code_max_attempts,
    )
    return Container(
        settings=settings,
        adapters=adapters,
        templates=environment,
        notifier=notifier,
        directory=DirectoryService(adapters.directory, adapters.sign_in),
        orders=OrderService(
            adapters.orders,
            adapters.catalogues,
            adapters.order_numbers,
            adapters.directory,
            adapters.workflow,
            adapters.transactions,
            clock,
            settings.decision_timeout_seconds,
        ),
        endings=EndingService(
            adapters.orders,
            adapters.directory,
            notifier,
            adapters.transactions,
            clock,
            settings.base_url,
            settings.customer_service_email,
            settings.operations_email,
        ),
        decisions=DecisionService(
            adapters.approvals,
            {order_steps.kind: order_steps},
            signer,
            adapters.workflow,
            notifier,
            adapters.transactions,
            clock,
            settings.base_url,
        ),
    )


@cache
def container() -> Container:
    return bootstrap()
