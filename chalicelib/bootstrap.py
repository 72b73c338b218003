"""The composition root: builds every adapter and service once per cold start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

import boto3
from botocore.config import Config
from jinja2 import Environment, FileSystemLoader, select_autoescape

from chalicelib.adapters.identity import SignInService, TokenVerifier
from chalicelib.adapters.mail import Mailer
from chalicelib.adapters.sms import SmsSender
from chalicelib.adapters.table import Table
from chalicelib.adapters.workflow import Workflow
from chalicelib.services.completion import CompletionService
from chalicelib.services.decisions import DecisionService
from chalicelib.services.ordering import OrderService
from chalicelib.settings import Settings

TEMPLATES = Path(__file__).parent / "templates"

# Standard retry mode: exponential backoff with jitter on throttling and transient errors.
AWS_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=10)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Container:
    settings: Settings
    table: Table
    templates: Environment
    orders: OrderService
    decisions: DecisionService
    completion: CompletionService
    verifier: TokenVerifier
    sign_in: SignInService


def templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def container() -> Container:
    settings = Settings()  # type: ignore[call-arg]  # read from the environment
    session = boto3.session.Session(region_name=settings.aws_region)
    table = Table(session.client("dynamodb", config=AWS_CONFIG), settings.table_name)
    workflow = Workflow(session.client("stepfunctions", config=AWS_CONFIG), settings.state_machine_arn)
    environment = templates()
    mailer = Mailer(
        session.client("ses", config=AWS_CONFIG), settings.mail_sender, environment, settings.ses_configuration_set
    )
    return Container(
        settings=settings,
        table=table,
        templates=environment,
        orders=OrderService(table, workflow, utc_now, settings.decision_timeout_seconds),
        decisions=DecisionService(
            table,
            mailer,
            SmsSender(lambda: session.client("sns", config=AWS_CONFIG)),
            workflow,
            utc_now,
            settings.base_url,
            timedelta(seconds=settings.one_time_code_ttl_seconds),
            settings.one_time_code_max_attempts,
        ),
        completion=CompletionService(
            table, mailer, utc_now, settings.base_url, settings.customer_service_email, settings.operations_email
        ),
        verifier=TokenVerifier(
            settings.cognito_issuer, settings.cognito_app_client_id, settings.jwks_url, settings.cognito_jwks_file
        ),
        sign_in=SignInService(lambda: session.client("cognito-idp", config=AWS_CONFIG), settings.cognito_app_client_id),
    )
