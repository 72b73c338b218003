"""The composition root: the only place adapters are built and handed to services, once per cold start.

`bootstrap(**overrides)` builds the same services with any adapter replaced (tests pass in-memory fakes);
`container()` is the one the handlers use, built on first use from the environment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import timedelta
from functools import cache
from typing import Any, Protocol

import boto3
from botocore.config import Config

from chalicelib.adapters.documents import S3InvoiceDocuments
from chalicelib.adapters.dynamo.approvals import DynamoApprovals
from chalicelib.adapters.dynamo.bookings import DynamoBookingRecords, DynamoInboundEvents
from chalicelib.adapters.dynamo.directory import DynamoDirectory, DynamoInvitations, DynamoWebSessions
from chalicelib.adapters.dynamo.limits import DynamoLimits
from chalicelib.adapters.dynamo.notifications import DynamoOutbox
from chalicelib.adapters.dynamo.onboarding import DynamoAgreementSignings, DynamoApplications
from chalicelib.adapters.dynamo.ordering import DynamoCatalogues, DynamoOrderNumbers, DynamoOrders, DynamoSubmitReads
from chalicelib.adapters.dynamo.requisitioners import DynamoOrderers
from chalicelib.adapters.dynamo.signing import DynamoChallenges
from chalicelib.adapters.dynamo.table import DynamoTable
from chalicelib.adapters.idempotency import PowertoolsIdempotency
from chalicelib.adapters.identity import CognitoAccounts, CognitoSignIn, JwksTokenVerifier
from chalicelib.adapters.mail import SesMailSender
from chalicelib.adapters.outbox_feed import StreamAndQueueFeed
from chalicelib.adapters.partners import SecretsManagerPartnerSecrets, SqsBookingEventQueue
from chalicelib.adapters.secrets import SecretsManagerLinkSecret
from chalicelib.adapters.sms import SnsTextMessages
from chalicelib.adapters.workflow import StepFunctionsWorkflow
from chalicelib.approvals.ports import Approvals, LinkSecret, TaskAnswers
from chalicelib.approvals.services import ANSWER_TASK, REQUEST_DECISION, DecisionService
from chalicelib.bookings.intake import QUEUE_EVENT, PartnerIntake
from chalicelib.bookings.ports import (
    BookingEventQueue,
    BookingRecords,
    IdentityKey,
    InboundEvents,
    InvoiceDocuments,
    PartnerSecrets,
)
from chalicelib.bookings.services import MAKE_INVOICE, BookingService
from chalicelib.directory.accounts import INVITE, AccountService
from chalicelib.directory.model import SessionLifetimes
from chalicelib.directory.people import PeopleService
from chalicelib.directory.ports import Accounts, Directory, Invitations, PasswordSignIn, TokenVerifier, WebSessions
from chalicelib.directory.services import DirectoryService, SessionService
from chalicelib.directory.serving import ServingService
from chalicelib.notifications.ports import MailSender, Outbox, OutboxFeed
from chalicelib.notifications.services import MAIL, MailDelivery, OutboxNotifier, OutboxRelay
from chalicelib.onboarding.ports import AgreementSignings, Applications
from chalicelib.onboarding.services import APPROVED, SIGNING_MAIL, ApplicationSteps, OnboardingService
from chalicelib.ordering.endings import EndingService
from chalicelib.ordering.notices import OrderNotices
from chalicelib.ordering.ports import Catalogues, OrderNumbers, Orders, SubmitReads, Workflow
from chalicelib.ordering.reconciliation import Reconciler
from chalicelib.ordering.services import START_WORKFLOW, OrderService
from chalicelib.ordering.steps import OrderSteps
from chalicelib.ordering.waiting import OrdererWaits
from chalicelib.rendering import environment
from chalicelib.requisitioners.ports import Orderers
from chalicelib.requisitioners.services import RELEASE, OrdererService
from chalicelib.settings import Settings
from chalicelib.shared.idempotency import Idempotency
from chalicelib.shared.limits import Limits
from chalicelib.shared.time import Clock, utc_now
from chalicelib.shared.transactions import Transactions
from chalicelib.signing.ports import Challenges, TextMessages
from chalicelib.signing.services import SmsCodeSigner

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
    submit_reads: SubmitReads
    approvals: Approvals
    challenges: Challenges
    outbox: Outbox
    outbox_feed: OutboxFeed
    link_secret: LinkSecret
    workflow: WorkflowEngine
    mail: MailSender
    texts: TextMessages
    verifier: TokenVerifier
    sign_in: PasswordSignIn
    web_sessions: WebSessions
    idempotency: Idempotency
    accounts: Accounts
    invitations: Invitations
    limits: Limits
    applications: Applications
    signings: AgreementSignings
    orderers: Orderers
    booking_records: BookingRecords
    identity_key: IdentityKey
    invoice_documents: InvoiceDocuments
    partner_secrets: PartnerSecrets
    inbound_events: InboundEvents
    booking_events: BookingEventQueue


@dataclass(frozen=True)
class Container:
    settings: Settings
    adapters: Adapters
    mail: MailDelivery
    relay: OutboxRelay
    directory: DirectoryService
    sessions: SessionService
    accounts: AccountService
    people: PeopleService
    serving: ServingService
    orderers: OrdererService
    orders: OrderService
    endings: EndingService
    decisions: DecisionService
    reconciler: Reconciler
    onboarding: OnboardingService
    bookings: BookingService
    intake: PartnerIntake


def new_session(region: str) -> boto3.session.Session:
    """The session every adapter's client is made from (and where a test injects failures into them)."""
    return boto3.session.Session(region_name=region)


def aws_adapters(settings: Settings) -> dict[str, Callable[[], Any]]:
    """How each adapter is built on AWS. Nothing is built until asked for, so a replaced adapter costs nothing."""

    @cache
    def session() -> boto3.session.Session:
        return new_session(settings.aws_region)

    def client(service: str) -> Any:
        return session().client(service, config=AWS_CONFIG)  # type: ignore[call-overload]

    table = cache(lambda: DynamoTable(client("dynamodb"), settings.table_name))
    # One per container: it keeps the catalogue between requests (DynamoCatalogues).
    catalogues = cache(lambda: DynamoCatalogues(table()))
    verifier = cache(
        lambda: JwksTokenVerifier(
            settings.cognito_issuer, settings.cognito_app_client_id, settings.jwks_url, settings.cognito_jwks_file
        )
    )
    return {
        "transactions": table,
        "directory": lambda: DynamoDirectory(table()),
        "orders": lambda: DynamoOrders(table()),
        "catalogues": catalogues,
        "submit_reads": lambda: DynamoSubmitReads(table(), catalogues()),
        "order_numbers": DynamoOrderNumbers,
        "approvals": lambda: DynamoApprovals(table()),
        "challenges": lambda: DynamoChallenges(table()),
        "outbox": lambda: DynamoOutbox(table()),
        "outbox_feed": lambda: StreamAndQueueFeed(
            lambda: client("sqs"),
            settings.outbox_retry_queue_url,
            settings.outbox_dead_letter_queue_url,
            settings.outbox_first_retry_seconds,
            settings.outbox_max_attempts,
        ),
        "link_secret": lambda: SecretsManagerLinkSecret(lambda: client("secretsmanager"), settings.link_secret_id),
        "workflow": lambda: StepFunctionsWorkflow(client("stepfunctions"), settings.state_machine_arn),
        "mail": lambda: SesMailSender(client("ses"), settings.mail_sender, settings.ses_configuration_set),
        "texts": lambda: SnsTextMessages(
            lambda: client("sns"), smoke_test=_smoke_test(settings.smoke_test_phone, settings.smoke_test_topic_arn)
        ),
        "verifier": verifier,
        "sign_in": lambda: CognitoSignIn(lambda: client("cognito-idp"), settings.cognito_app_client_id, verifier()),
        "web_sessions": lambda: DynamoWebSessions(table()),
        "accounts": lambda: CognitoAccounts(lambda: client("cognito-idp"), settings.cognito_user_pool_id),
        "invitations": lambda: DynamoInvitations(table()),
        "limits": lambda: DynamoLimits(table()),
        "applications": lambda: DynamoApplications(table()),
        "signings": lambda: DynamoAgreementSignings(table()),
        "orderers": lambda: DynamoOrderers(table()),
        "idempotency": lambda: PowertoolsIdempotency(settings.idempotency_table_name),
        "booking_records": lambda: DynamoBookingRecords(table()),
        "identity_key": lambda: SecretsManagerLinkSecret(
            lambda: client("secretsmanager"), settings.identity_key_secret_id, "the identity key"
        ),
        "invoice_documents": lambda: S3InvoiceDocuments(lambda: client("s3"), settings.invoice_bucket),
        "partner_secrets": lambda: SecretsManagerPartnerSecrets(
            lambda: client("secretsmanager"), settings.partner_secret_prefix
        ),
        "inbound_events": lambda: DynamoInboundEvents(table()),
        "booking_events": lambda: SqsBookingEventQueue(lambda: client("sqs"), settings.booking_events_queue_url),
    }


def _smoke_test(phone: str | None, topic_arn: str | None) -> tuple[str, str] | None:
    return (phone, topic_arn) if phone and topic_arn else None


def bootstrap(settings: Settings | None = None, clock: Clock = utc_now, **overrides: Any) -> Container:
    settings = settings or Settings()  # type: ignore[call-arg]  # read from the environment
    build = aws_adapters(settings)
    if unknown := set(overrides) - {field.name for field in fields(Adapters)}:
        raise TypeError(f"no such adapter: {sorted(unknown)}")
    adapters = Adapters(**{name: overrides[name] if name in overrides else build[name]() for name in build})

    mail = MailDelivery(environment, adapters.mail)
    notices = OrderNotices(
        adapters.directory,
        OutboxNotifier(adapters.outbox),
        settings.base_url,
        settings.customer_service_email,
        settings.operations_email,
    )
    order_steps = OrderSteps(adapters.orders, adapters.directory, notices)
    signer = SmsCodeSigner(
        adapters.challenges,
        adapters.texts,
        clock,
        timedelta(seconds=settings.one_time_code_ttl_seconds),
        settings.one_time_code_max_attempts,
    )
    application_steps = ApplicationSteps(
        adapters.applications,
        adapters.directory,
        OutboxNotifier(adapters.outbox),
        adapters.outbox,
        settings.provider_org_id,
        settings.base_url,
    )
    decisions = DecisionService(
        adapters.approvals,
        {order_steps.kind: order_steps, application_steps.kind: application_steps},
        signer,
        adapters.workflow,
        adapters.outbox,
        mail,
        adapters.link_secret,
        adapters.transactions,
        clock,
        settings.base_url,
    )
    sessions = SessionService(
        adapters.web_sessions,
        adapters.sign_in,
        adapters.directory,
        clock,
        SessionLifetimes(
            absolute=timedelta(seconds=settings.web_session_lifetime_seconds),
            idle=timedelta(seconds=settings.web_session_idle_seconds),
        ),
    )
    accounts = AccountService(
        adapters.directory,
        adapters.accounts,
        adapters.invitations,
        adapters.outbox,
        adapters.link_secret,
        mail,
        sessions,
        adapters.transactions,
        clock,
        settings.base_url,
    )
    onboarding = OnboardingService(
        adapters.applications,
        adapters.signings,
        adapters.directory,
        accounts,
        decisions,
        signer,
        adapters.outbox,
        mail,
        adapters.limits,
        adapters.link_secret,
        adapters.transactions,
        clock,
        settings.base_url,
        lambda: current_agreement(adapters.catalogues),
        settings.provider_org_id,
    )
    orderers = OrdererService(
        adapters.orderers,
        adapters.directory,
        adapters.accounts,
        accounts,
        OrdererWaits(adapters.orders),
        adapters.orders.count_of_orderer,
        sessions.end_all,
        OutboxNotifier(adapters.outbox),
        adapters.outbox,
        adapters.workflow,
        adapters.limits,
        adapters.transactions,
        clock,
        settings.base_url,
        settings.registrations_per_address,
        settings.registrations_per_network,
    )
    orders = OrderService(
        adapters.orders,
        adapters.catalogues,
        adapters.order_numbers,
        adapters.directory,
        adapters.outbox,
        adapters.workflow,
        adapters.transactions,
        clock,
        settings.decision_timeout_seconds,
        adapters.submit_reads,
    )
    bookings = BookingService(
        adapters.booking_records,
        OutboxNotifier(adapters.outbox),
        adapters.outbox,
        adapters.invoice_documents,
        adapters.transactions,
        adapters.identity_key,
        clock,
    )
    intake = PartnerIntake(
        adapters.partner_secrets,
        adapters.inbound_events,
        adapters.booking_records,
        bookings,
        adapters.outbox,
        OutboxNotifier(adapters.outbox),
        adapters.transactions,
        clock,
        settings.operations_email,
    )
    relay = OutboxRelay(
        adapters.outbox_feed,
        {
            MAIL: mail.deliver,
            REQUEST_DECISION: decisions.deliver_request,
            ANSWER_TASK: decisions.deliver_answer,
            START_WORKFLOW: orders.start_workflow,
            INVITE: accounts.deliver_invitation,
            APPROVED: onboarding.complete,
            SIGNING_MAIL: onboarding.deliver_signing,
            RELEASE: orderers.deliver_release,
            MAKE_INVOICE: bookings.deliver_invoice,
            QUEUE_EVENT: adapters.booking_events.send,
        },
    )
    endings = EndingService(adapters.orders, notices, adapters.transactions, clock)
    return Container(
        settings=settings,
        adapters=adapters,
        mail=mail,
        relay=relay,
        directory=DirectoryService(adapters.directory, adapters.sign_in),
        sessions=sessions,
        accounts=accounts,
        people=PeopleService(adapters.directory, adapters.accounts, accounts, sessions, adapters.transactions, clock),
        serving=ServingService(adapters.directory, adapters.transactions),
        orderers=orderers,
        orders=orders,
        endings=endings,
        decisions=decisions,
        reconciler=Reconciler(
            adapters.orders,
            adapters.workflow,
            endings,
            clock,
            settings.decision_timeout_seconds,
            waiting_limit=timedelta(hours=settings.operations_waiting_hours),
        ),
        onboarding=onboarding,
        bookings=bookings,
        intake=intake,
    )


def current_agreement(catalogues: Catalogues) -> int:
    """The agreement model everyone must have signed (R-ONB-1): the catalogue's, which ordering checks too."""
    catalogue = catalogues.current()
    if catalogue is None:
        raise LookupError("no catalogue is published")
    return catalogue.agreement_version


@cache
def container() -> Container:
    return bootstrap()
