"""The composition root: the only place adapters are built and handed to services, once per cold start.

`bootstrap(**overrides)` builds the same services with any adapter replaced (tests pass in-memory fakes);
`container()` is the one the handlers use, built on first use from the environment.

Nothing is built before it is asked for, and a capability's modules are imported where its adapter or
service is built: a cold start pays for what its first request uses, not for every capability
(docs/benchmarks.md, cold start). The imports inside the functions below are there for that reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from functools import cache
from threading import RLock
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, overload

import boto3
from botocore.config import Config

from chalicelib.settings import Settings
from chalicelib.shared.time import Clock, utc_now

if TYPE_CHECKING:
    from chalicelib.approvals.ports import Approvals, LinkSecret, TaskAnswers
    from chalicelib.approvals.services import DecisionService
    from chalicelib.bookings.intake import PartnerIntake
    from chalicelib.bookings.ports import (
        BookingEventQueue,
        BookingRecords,
        IdentityKey,
        InboundEvents,
        InvoiceDocuments,
        PartnerSecrets,
    )
    from chalicelib.bookings.services import BookingService
    from chalicelib.directory.accounts import AccountService
    from chalicelib.directory.people import PeopleService
    from chalicelib.directory.ports import Accounts, Directory, Invitations, PasswordSignIn, TokenVerifier, WebSessions
    from chalicelib.directory.services import DirectoryService, SessionService
    from chalicelib.directory.serving import ServingService
    from chalicelib.notifications.ports import MailSender, Outbox, OutboxFeed
    from chalicelib.notifications.services import MailDelivery, OutboxNotifier, OutboxRelay
    from chalicelib.onboarding.ports import AgreementSignings, Applications
    from chalicelib.onboarding.services import ApplicationSteps, OnboardingService
    from chalicelib.ordering.endings import EndingService
    from chalicelib.ordering.notices import OrderNotices
    from chalicelib.ordering.ports import Catalogues, OrderNumbers, Orders, SubmitReads, Workflow
    from chalicelib.ordering.reconciliation import Reconciler
    from chalicelib.ordering.services import OrderService
    from chalicelib.ordering.steps import OrderSteps
    from chalicelib.requisitioners.ports import Orderers
    from chalicelib.requisitioners.services import OrdererService
    from chalicelib.shared.idempotency import Idempotency
    from chalicelib.shared.limits import Limits
    from chalicelib.shared.transactions import Transactions
    from chalicelib.signing.ports import Challenges, TextMessages
    from chalicelib.signing.services import SmsCodeSigner

    class WorkflowEngine(Workflow, TaskAnswers, Protocol):
        """Starts executions and answers their waiting tasks: one adapter serves both ports."""


# Standard retry mode: exponential backoff with jitter on throttling and transient errors.
AWS_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=10)

Built = TypeVar("Built")


class Adapters:
    """One implementation of every port, each built when first used; each may be replaced through
    `bootstrap(**overrides)`."""

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

    def __init__(self, factories: Mapping[str, Callable[[], Any]], lock: RLock) -> None:
        self._factories = factories
        self._lock = lock

    if not TYPE_CHECKING:  # to the type checker, the attributes above are all there is

        def __getattr__(self, name: str) -> Any:
            """Called only for an adapter not built yet: builds it, once, and keeps it."""
            factories = self.__dict__.get("_factories", {})
            if name not in factories:
                raise AttributeError(name)
            with self._lock:
                if name not in self.__dict__:
                    self.__dict__[name] = factories[name]()
                return self.__dict__[name]


ADAPTERS = frozenset(Adapters.__annotations__)


class _Once(Generic[Built]):
    """A service of the container, built when first asked for and kept; two requests asking at once get one.

    Not `functools.cached_property`: on Python 3.11 each of those holds a lock of its own while it builds, and
    two services building each other from two threads could then wait for each other."""

    def __init__(self, build: Callable[[Container], Built]) -> None:
        self._build = build
        self._name = build.__name__
        self.__doc__ = build.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, container: None, owner: type | None = None) -> _Once[Built]: ...

    @overload
    def __get__(self, container: Container, owner: type | None = None) -> Built: ...

    def __get__(self, container: Container | None, owner: type | None = None) -> Built | _Once[Built]:
        if container is None:
            return self
        with container._lock:
            if self._name not in container.__dict__:
                container.__dict__[self._name] = self._build(container)
            built: Built = container.__dict__[self._name]
            return built


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

    @cache
    def table() -> Any:
        from chalicelib.adapters.dynamo.table import DynamoTable

        return DynamoTable(client("dynamodb"), settings.table_name)

    def directory() -> Any:
        from chalicelib.adapters.dynamo.directory import DynamoDirectory

        return DynamoDirectory(table())

    def orders() -> Any:
        from chalicelib.adapters.dynamo.ordering import DynamoOrders

        return DynamoOrders(table())

    @cache  # one per container: it keeps the catalogue between requests
    def catalogues() -> Any:
        from chalicelib.adapters.dynamo.ordering import DynamoCatalogues

        return DynamoCatalogues(table())

    def submit_reads() -> Any:
        from chalicelib.adapters.dynamo.ordering import DynamoSubmitReads

        return DynamoSubmitReads(table(), catalogues())

    def order_numbers() -> Any:
        from chalicelib.adapters.dynamo.ordering import DynamoOrderNumbers

        return DynamoOrderNumbers()

    def approvals() -> Any:
        from chalicelib.adapters.dynamo.approvals import DynamoApprovals

        return DynamoApprovals(table())

    def challenges() -> Any:
        from chalicelib.adapters.dynamo.signing import DynamoChallenges

        return DynamoChallenges(table())

    def outbox() -> Any:
        from chalicelib.adapters.dynamo.notifications import DynamoOutbox

        return DynamoOutbox(table())

    def outbox_feed() -> Any:
        from chalicelib.adapters.outbox_feed import StreamAndQueueFeed

        return StreamAndQueueFeed(
            lambda: client("sqs"),
            settings.outbox_retry_queue_url,
            settings.outbox_dead_letter_queue_url,
            settings.outbox_first_retry_seconds,
            settings.outbox_max_attempts,
        )

    def link_secret() -> Any:
        from chalicelib.adapters.secrets import SecretsManagerLinkSecret

        return SecretsManagerLinkSecret(lambda: client("secretsmanager"), settings.link_secret_id)

    def workflow() -> Any:
        from chalicelib.adapters.workflow import StepFunctionsWorkflow

        return StepFunctionsWorkflow(client("stepfunctions"), settings.state_machine_arn)

    def mail() -> Any:
        from chalicelib.adapters.mail import SesMailSender

        return SesMailSender(client("ses"), settings.mail_sender, settings.ses_configuration_set)

    def texts() -> Any:
        from chalicelib.adapters.sms import SnsTextMessages

        smoke_test = _smoke_test(settings.smoke_test_phone, settings.smoke_test_topic_arn)
        return SnsTextMessages(lambda: client("sns"), smoke_test=smoke_test)

    @cache
    def verifier() -> Any:
        from chalicelib.adapters.identity import JwksTokenVerifier

        return JwksTokenVerifier(
            settings.cognito_issuer, settings.cognito_app_client_id, settings.jwks_url, settings.cognito_jwks_file
        )

    def sign_in() -> Any:
        from chalicelib.adapters.identity import CognitoSignIn

        return CognitoSignIn(lambda: client("cognito-idp"), settings.cognito_app_client_id, verifier())

    def web_sessions() -> Any:
        from chalicelib.adapters.dynamo.directory import DynamoWebSessions

        return DynamoWebSessions(table())

    def accounts() -> Any:
        from chalicelib.adapters.identity import CognitoAccounts

        return CognitoAccounts(lambda: client("cognito-idp"), settings.cognito_user_pool_id)

    def invitations() -> Any:
        from chalicelib.adapters.dynamo.directory import DynamoInvitations

        return DynamoInvitations(table())

    def limits() -> Any:
        from chalicelib.adapters.dynamo.limits import DynamoLimits

        return DynamoLimits(table())

    def applications() -> Any:
        from chalicelib.adapters.dynamo.onboarding import DynamoApplications

        return DynamoApplications(table())

    def signings() -> Any:
        from chalicelib.adapters.dynamo.onboarding import DynamoAgreementSignings

        return DynamoAgreementSignings(table())

    def orderers() -> Any:
        from chalicelib.adapters.dynamo.requisitioners import DynamoOrderers

        return DynamoOrderers(table())

    def idempotency() -> Any:
        from chalicelib.adapters.idempotency import PowertoolsIdempotency

        return PowertoolsIdempotency(settings.idempotency_table_name)

    def booking_records() -> Any:
        from chalicelib.adapters.dynamo.bookings import DynamoBookingRecords

        return DynamoBookingRecords(table())

    def identity_key() -> Any:
        from chalicelib.adapters.secrets import SecretsManagerLinkSecret

        return SecretsManagerLinkSecret(
            lambda: client("secretsmanager"), settings.identity_key_secret_id, "the identity key"
        )

    def invoice_documents() -> Any:
        from chalicelib.adapters.documents import S3InvoiceDocuments

        return S3InvoiceDocuments(lambda: client("s3"), settings.invoice_bucket)

    def partner_secrets() -> Any:
        from chalicelib.adapters.partners import SecretsManagerPartnerSecrets

        return SecretsManagerPartnerSecrets(lambda: client("secretsmanager"), settings.partner_secret_prefix)

    def inbound_events() -> Any:
        from chalicelib.adapters.dynamo.bookings import DynamoInboundEvents

        return DynamoInboundEvents(table())

    def booking_events() -> Any:
        from chalicelib.adapters.partners import SqsBookingEventQueue

        return SqsBookingEventQueue(lambda: client("sqs"), settings.booking_events_queue_url)

    return {
        "transactions": table,
        "directory": directory,
        "orders": orders,
        "catalogues": catalogues,
        "submit_reads": submit_reads,
        "order_numbers": order_numbers,
        "approvals": approvals,
        "challenges": challenges,
        "outbox": outbox,
        "outbox_feed": outbox_feed,
        "link_secret": link_secret,
        "workflow": workflow,
        "mail": mail,
        "texts": texts,
        "verifier": verifier,
        "sign_in": sign_in,
        "web_sessions": web_sessions,
        "accounts": accounts,
        "invitations": invitations,
        "limits": limits,
        "applications": applications,
        "signings": signings,
        "orderers": orderers,
        "idempotency": idempotency,
        "booking_records": booking_records,
        "identity_key": identity_key,
        "invoice_documents": invoice_documents,
        "partner_secrets": partner_secrets,
        "inbound_events": inbound_events,
        "booking_events": booking_events,
    }


def _smoke_test(phone: str | None, topic_arn: str | None) -> tuple[str, str] | None:
    return (phone, topic_arn) if phone and topic_arn else None


class Container:
    """The services, each built with the adapters it uses when it is first asked for."""

    def __init__(self, settings: Settings, adapters: Adapters, clock: Clock, lock: RLock) -> None:
        self.settings = settings
        self.adapters = adapters
        self.clock = clock
        self._lock = lock

    @_Once
    def mail(self) -> MailDelivery:
        from chalicelib.notifications.services import MailDelivery
        from chalicelib.rendering import environment

        return MailDelivery(environment, self.adapters.mail)

    @_Once
    def _notifier(self) -> OutboxNotifier:
        from chalicelib.notifications.services import OutboxNotifier

        return OutboxNotifier(self.adapters.outbox)

    @_Once
    def _notices(self) -> OrderNotices:
        from chalicelib.ordering.notices import OrderNotices

        return OrderNotices(
            self.adapters.directory,
            self._notifier,
            self.settings.base_url,
            self.settings.customer_service_email,
            self.settings.operations_email,
        )

    @_Once
    def _order_steps(self) -> OrderSteps:
        from chalicelib.ordering.steps import OrderSteps

        return OrderSteps(self.adapters.orders, self.adapters.directory, self._notices)

    @_Once
    def _signer(self) -> SmsCodeSigner:
        from chalicelib.signing.services import SmsCodeSigner

        return SmsCodeSigner(
            self.adapters.challenges,
            self.adapters.texts,
            self.clock,
            timedelta(seconds=self.settings.one_time_code_ttl_seconds),
            self.settings.one_time_code_max_attempts,
        )

    @_Once
    def _application_steps(self) -> ApplicationSteps:
        from chalicelib.onboarding.services import ApplicationSteps

        return ApplicationSteps(
            self.adapters.applications,
            self.adapters.directory,
            self._notifier,
            self.adapters.outbox,
            self.settings.provider_org_id,
            self.settings.base_url,
        )

    @_Once
    def decisions(self) -> DecisionService:
        from chalicelib.approvals.services import DecisionService

        adapters = self.adapters
        return DecisionService(
            adapters.approvals,
            {self._order_steps.kind: self._order_steps, self._application_steps.kind: self._application_steps},
            self._signer,
            adapters.workflow,
            adapters.outbox,
            self.mail,
            adapters.link_secret,
            adapters.transactions,
            self.clock,
            self.settings.base_url,
        )

    @_Once
    def sessions(self) -> SessionService:
        from chalicelib.directory.model import SessionLifetimes
        from chalicelib.directory.services import SessionService

        return SessionService(
            self.adapters.web_sessions,
            self.adapters.sign_in,
            self.adapters.directory,
            self.clock,
            SessionLifetimes(
                absolute=timedelta(seconds=self.settings.web_session_lifetime_seconds),
                idle=timedelta(seconds=self.settings.web_session_idle_seconds),
            ),
        )

    @_Once
    def accounts(self) -> AccountService:
        from chalicelib.directory.accounts import AccountService

        adapters = self.adapters
        return AccountService(
            adapters.directory,
            adapters.accounts,
            adapters.invitations,
            adapters.outbox,
            adapters.link_secret,
            self.mail,
            self.sessions,
            adapters.transactions,
            self.clock,
            self.settings.base_url,
        )

    @_Once
    def onboarding(self) -> OnboardingService:
        from chalicelib.onboarding.services import OnboardingService

        adapters = self.adapters
        return OnboardingService(
            adapters.applications,
            adapters.signings,
            adapters.directory,
            self.accounts,
            self.decisions,
            self._signer,
            adapters.outbox,
            self.mail,
            adapters.limits,
            adapters.link_secret,
            adapters.transactions,
            self.clock,
            self.settings.base_url,
            lambda: current_agreement(adapters.catalogues),
            self.settings.provider_org_id,
        )

    @_Once
    def orderers(self) -> OrdererService:
        from chalicelib.ordering.waiting import OrdererWaits
        from chalicelib.requisitioners.services import OrdererService

        adapters, settings = self.adapters, self.settings
        return OrdererService(
            adapters.orderers,
            adapters.directory,
            adapters.accounts,
            self.accounts,
            OrdererWaits(adapters.orders),
            adapters.orders.count_of_orderer,
            self.sessions.end_all,
            self._notifier,
            adapters.outbox,
            adapters.workflow,
            adapters.limits,
            adapters.transactions,
            self.clock,
            settings.base_url,
            settings.registrations_per_address,
            settings.registrations_per_network,
        )

    @_Once
    def orders(self) -> OrderService:
        from chalicelib.ordering.services import OrderService

        adapters = self.adapters
        return OrderService(
            adapters.orders,
            adapters.catalogues,
            adapters.order_numbers,
            adapters.directory,
            adapters.outbox,
            adapters.workflow,
            adapters.transactions,
            self.clock,
            self.settings.decision_timeout_seconds,
            adapters.submit_reads,
        )

    @_Once
    def bookings(self) -> BookingService:
        from chalicelib.bookings.services import BookingService

        adapters = self.adapters
        return BookingService(
            adapters.booking_records,
            self._notifier,
            adapters.outbox,
            adapters.invoice_documents,
            adapters.transactions,
            adapters.identity_key,
            self.clock,
        )

    @_Once
    def intake(self) -> PartnerIntake:
        from chalicelib.bookings.intake import PartnerIntake

        adapters = self.adapters
        return PartnerIntake(
            adapters.partner_secrets,
            adapters.inbound_events,
            adapters.booking_records,
            self.bookings,
            adapters.outbox,
            self._notifier,
            adapters.transactions,
            self.clock,
            self.settings.operations_email,
        )

    @_Once
    def relay(self) -> OutboxRelay:
        """Delivers each outbox message with the service of its kind, built when a message of it first comes."""
        from chalicelib.approvals.services import ANSWER_TASK, REQUEST_DECISION
        from chalicelib.bookings.intake import QUEUE_EVENT
        from chalicelib.bookings.services import MAKE_INVOICE
        from chalicelib.directory.accounts import INVITE
        from chalicelib.notifications.services import MAIL, OutboxRelay
        from chalicelib.onboarding.services import APPROVED, SIGNING_MAIL
        from chalicelib.ordering.services import START_WORKFLOW
        from chalicelib.requisitioners.services import RELEASE

        return OutboxRelay(
            self.adapters.outbox_feed,
            {
                MAIL: lambda payload: self.mail.deliver(payload),
                REQUEST_DECISION: lambda payload: self.decisions.deliver_request(payload),
                ANSWER_TASK: lambda payload: self.decisions.deliver_answer(payload),
                START_WORKFLOW: lambda payload: self.orders.start_workflow(payload),
                INVITE: lambda payload: self.accounts.deliver_invitation(payload),
                APPROVED: lambda payload: self.onboarding.complete(payload),
                SIGNING_MAIL: lambda payload: self.onboarding.deliver_signing(payload),
                RELEASE: lambda payload: self.orderers.deliver_release(payload),
                MAKE_INVOICE: lambda payload: self.bookings.deliver_invoice(payload),
                QUEUE_EVENT: lambda payload: self.adapters.booking_events.send(payload),
            },
        )

    @_Once
    def endings(self) -> EndingService:
        from chalicelib.ordering.endings import EndingService

        return EndingService(self.adapters.orders, self._notices, self.adapters.transactions, self.clock)

    @_Once
    def directory(self) -> DirectoryService:
        from chalicelib.directory.services import DirectoryService

        return DirectoryService(self.adapters.directory, self.adapters.sign_in)

    @_Once
    def people(self) -> PeopleService:
        from chalicelib.directory.people import PeopleService

        adapters = self.adapters
        return PeopleService(
            adapters.directory, adapters.accounts, self.accounts, self.sessions, adapters.transactions, self.clock
        )

    @_Once
    def serving(self) -> ServingService:
        from chalicelib.directory.serving import ServingService

        return ServingService(self.adapters.directory, self.adapters.transactions)

    @_Once
    def reconciler(self) -> Reconciler:
        from chalicelib.ordering.reconciliation import Reconciler

        return Reconciler(
            self.adapters.orders,
            self.adapters.workflow,
            self.endings,
            self.clock,
            self.settings.decision_timeout_seconds,
            waiting_limit=timedelta(hours=self.settings.operations_waiting_hours),
        )


def bootstrap(settings: Settings | None = None, clock: Clock = utc_now, **overrides: Any) -> Container:
    settings = settings or Settings()  # type: ignore[call-arg]  # read from the environment
    if unknown := set(overrides) - ADAPTERS:
        raise TypeError(f"no such adapter: {sorted(unknown)}")
    factories = aws_adapters(settings)
    factories.update({name: _given(adapter) for name, adapter in overrides.items()})
    lock = RLock()
    return Container(settings, Adapters(factories, lock), clock, lock)


def _given(adapter: Any) -> Callable[[], Any]:
    return lambda: adapter


def current_agreement(catalogues: Catalogues) -> int:
    """The agreement model everyone must have signed (R-ONB-1): the catalogue's, which ordering checks too."""
    catalogue = catalogues.current()
    if catalogue is None:
        raise LookupError("no catalogue is published")
    return catalogue.agreement_version


@cache
def container() -> Container:
    return bootstrap()
