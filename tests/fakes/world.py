"""The whole application over in-memory fakes: `bootstrap` with every adapter replaced, the demo directory
and catalogue, and a clock the test sets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.approvals.model import SubjectRef
from chalicelib.bootstrap import Container, bootstrap
from chalicelib.entrypoints.approvals import DecisionBody
from chalicelib.notifications.ports import OutboxMessage
from chalicelib.ordering.commands import PlaceOrder
from chalicelib.ordering.model import Order, Step
from chalicelib.ordering.steps import order_step
from chalicelib.settings import Settings
from chalicelib.shared.identity import Actor
from chalicelib.shared.pagination import PageRequest
from local import demo
from local.people import CODE
from local.practice import seed_practice

from .approvals import MemoryApprovals
from .bookings import (
    FixedIdentityKey,
    FixedPartnerSecrets,
    MemoryBookingRecords,
    MemoryInboundEvents,
    MemoryInvoiceDocuments,
    RecordingEventQueue,
)
from .directory import FakeSignIn, FakeTokens, MemoryAccounts, MemoryDirectory, MemoryInvitations, MemoryWebSessions
from .notifications import FixedLinkSecret, MemoryFeed, MemoryOutbox
from .onboarding import MemoryAgreementSignings, MemoryApplications
from .ordering import MemoryCatalogues, MemoryOrderNumbers, MemoryOrders, MemorySubmitReads
from .outside import FakeWorkflow, MemoryIdempotency, RecordingMail, SentMail
from .requisitioners import MemoryOrderers
from .signing import MemoryChallenges, RecordingTexts
from .store import MemoryLimits, MemoryStore

FIRST = PageRequest()
BASE_URL = "https://orders.example.org"
LINK = re.compile(r"/approvals/(?P<id>[A-Za-z0-9_-]{20,64})")
OPERATIONS = "operations@provider.example"
CUSTOMER_SERVICE = "customer.service@provider.example"


def settings(**changes: Any) -> Settings:
    """The fakes' settings, whatever the environment holds: every setting not given here has its default (the
    embedded AWS of an integration test in the same process sets variables such as REGISTRATIONS_PER_NETWORK)."""
    values: dict[str, Any] = {
        **{
            name: field.get_default(call_default_factory=True)
            for name, field in Settings.model_fields.items()
            if not field.is_required()
        },
        "table_name": "unused",
        "idempotency_table_name": "unused",
        "state_machine_arn": "arn:aws:states:eu-north-1:123456789012:stateMachine:unused",
        "mail_sender": "orders@provider.example",
        "public_base_url": BASE_URL,
        "operations_email": OPERATIONS,
        "customer_service_email": CUSTOMER_SERVICE,
        "cognito_user_pool_id": "unused",
        "cognito_app_client_id": "unused",
        "link_secret_id": "unused",
        "identity_key_secret_id": "unused",
        "invoice_bucket": "unused",
        "outbox_retry_queue_url": "unused",
        "outbox_dead_letter_queue_url": "unused",
        "decision_timeout_seconds": 7 * 24 * 3600,
        "one_time_code_ttl_seconds": 300,
        "one_time_code_max_attempts": 5,
        **changes,
    }
    return Settings(**values)


@dataclass
class Clock:
    now: datetime = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class World:
    clock: Clock = field(default_factory=Clock)
    store: MemoryStore = field(default_factory=MemoryStore)
    directory: MemoryDirectory = field(default_factory=MemoryDirectory)
    catalogues: MemoryCatalogues = field(default_factory=MemoryCatalogues)
    numbers: MemoryOrderNumbers = field(default_factory=MemoryOrderNumbers)
    workflow: FakeWorkflow = field(default_factory=FakeWorkflow)
    mail: RecordingMail = field(default_factory=RecordingMail)
    texts: RecordingTexts = field(default_factory=RecordingTexts)
    tokens: FakeTokens = field(default_factory=FakeTokens)
    idempotency: MemoryIdempotency = field(default_factory=MemoryIdempotency)
    feed: MemoryFeed = field(default_factory=MemoryFeed)
    link_secret: FixedLinkSecret = field(default_factory=FixedLinkSecret)
    failed_deliveries: list[tuple[str, str]] = field(default_factory=list)
    identity_key: FixedIdentityKey = field(default_factory=FixedIdentityKey)
    invoice_documents: MemoryInvoiceDocuments = field(default_factory=MemoryInvoiceDocuments)
    partner_secrets: FixedPartnerSecrets = field(default_factory=FixedPartnerSecrets)
    booking_events: RecordingEventQueue = field(default_factory=RecordingEventQueue)

    def __post_init__(self) -> None:
        self.orders = MemoryOrders(self.store)
        self.approvals = MemoryApprovals(self.store)
        self.challenges = MemoryChallenges(self.store)
        self.outbox = MemoryOutbox(self.store)
        self.sign_in = FakeSignIn(self.tokens, self.directory)
        self.web_sessions = MemoryWebSessions(self.store)
        self.accounts = MemoryAccounts(self.sign_in)
        self.invitations = MemoryInvitations()
        self.limits = MemoryLimits()
        self.applications = MemoryApplications()
        self.signings = MemoryAgreementSignings()
        self.orderers = MemoryOrderers()
        self.submit_reads = MemorySubmitReads(self.orders, self.catalogues, self.numbers, self.directory, self.orderers)
        self.booking_records = MemoryBookingRecords(self.store)
        self.inbound_events = MemoryInboundEvents(self.store)
        seed_practice(self.booking_records, MemoryStore())  # not counted among the commits a test makes
        demo.seed_directory(self.directory, self.catalogues)
        demo.seed_orderers(self.orderers, self.store)
        self.store.commits = 0  # a test counts its own writes
        self.app = self.build()
        self.signings.signatories["clinic-old"] = demo.OLD_MODEL_SIGNATORY  # as `demo.seed_signatories` leaves it

    def build(self, **changed_settings: Any) -> Container:
        return self.build_with(settings(**changed_settings))

    def build_with(self, configured: Settings | None = None, **overrides: Any) -> Container:
        return bootstrap(
            configured or settings(),
            clock=self.clock,
            transactions=self.store,
            directory=self.directory,
            orders=self.orders,
            catalogues=self.catalogues,
            order_numbers=self.numbers,
            submit_reads=self.submit_reads,
            approvals=self.approvals,
            challenges=self.challenges,
            outbox=self.outbox,
            outbox_feed=self.feed,
            link_secret=self.link_secret,
            workflow=self.workflow,
            mail=self.mail,
            texts=self.texts,
            verifier=self.tokens,
            sign_in=self.sign_in,
            web_sessions=self.web_sessions,
            idempotency=self.idempotency,
            accounts=self.accounts,
            invitations=self.invitations,
            limits=self.limits,
            applications=self.applications,
            signings=self.signings,
            orderers=self.orderers,
            booking_records=self.booking_records,
            identity_key=self.identity_key,
            invoice_documents=self.invoice_documents,
            partner_secrets=self.partner_secrets,
            inbound_events=self.inbound_events,
            booking_events=self.booking_events,
            **overrides,
        )

    def actor(self, user_id: str) -> Actor:
        person = self.directory.person(user_id)
        assert person is not None, user_id
        return Actor(signed_in=person)

    # --- the outbox relay, as the stream and the retry queue would run it -----------------------------

    def flush(self) -> None:
        """Delivers everything staged so far, and retries what failed, until nothing is left to try."""
        while True:
            fresh = self.outbox.take_new()
            again, self.feed.retries = self.feed.retries, []
            if not fresh and not again:
                return
            if fresh:
                self.app.relay.relay({"messages": [(message, 1) for message in fresh]}, self._failed)
            if again:
                messages = [(delivery.message, delivery.attempt) for delivery in again]
                self.app.relay.relay({"messages": messages, "in_order": False}, self._failed)

    def _failed(self, message: OutboxMessage, error: Exception) -> None:
        self.failed_deliveries.append((message.kind, type(error).__name__))

    # --- driving an order as the workflow and the people would ------------------------------------

    def submit(self, user_id: str, order: dict[str, Any], key: str | None = None) -> Order:
        command = PlaceOrder.model_validate(order)
        placed = self.app.orders.submit(self.actor(user_id), command, key or f"key-{len(self.orders.orders)}")
        self.flush()
        return placed

    def open_step(self, order_id: str, step: Step, token: str | None = None) -> str:
        """What the workflow's request_decision task does; returns the link id from the assignees' mail."""
        before = len(self.mail.sent)
        self.app.decisions.open(order_step(order_id, step), token or f"token-{order_id}-{step}", 3600)
        self.flush()
        return self.link_in(self.mail.sent[before])

    def open_step_again(self, order_id: str, step: Step, token: str) -> list[SentMail]:
        """The workflow retrying its task; returns the mail that sent."""
        before = len(self.mail.sent)
        self.app.decisions.open(order_step(order_id, step), token, 3600)
        self.flush()
        return self.mail.sent[before:]

    @staticmethod
    def link_in(mail: SentMail) -> str:
        match = LINK.search(mail.text)
        assert match is not None, mail.text
        return match["id"]

    def code_for(self, user_id: str, approval_id: str) -> str:
        self.app.decisions.send_code(approval_id, self.actor(user_id))
        _, text = self.texts.sent[-1]
        match = CODE.search(text)
        assert match is not None
        return match["code"]

    def decide(self, user_id: str, approval_id: str, decision: str = "approve", **fields: Any) -> dict[str, Any]:
        body = DecisionBody.model_validate({"decision": decision, **fields})
        result = self.app.decisions.decide(approval_id, self.actor(user_id), body, body.agent_review)
        self.flush()
        return result

    def attest(self, user_id: str, approval_id: str, decision: str = "approve", reason: str | None = None) -> None:
        code = self.code_for(user_id, approval_id)
        self.decide(user_id, approval_id, decision, one_time_code=code, **({"reason": reason} if reason else {}))

    # --- a step opened from the portal's lists, by its order and its step -----------------------------

    def code_for_step(self, user_id: str, ref: SubjectRef) -> str:
        self.app.decisions.send_code_for_step(ref, self.actor(user_id))
        _, text = self.texts.sent[-1]
        match = CODE.search(text)
        assert match is not None
        return match["code"]

    def decide_step(self, user_id: str, ref: SubjectRef, decision: str = "approve", **fields: Any) -> dict[str, Any]:
        body = DecisionBody.model_validate({"decision": decision, **fields})
        result = self.app.decisions.decide_step(ref, self.actor(user_id), body, body.agent_review)
        self.flush()
        return result

    def resend(self, user_id: str, ref_or_link: SubjectRef | str) -> list[SentMail]:
        """Asks for the step's request mail again; returns the mail that sent."""
        before = len(self.mail.sent)
        self.app.decisions.resend_request(ref_or_link, self.actor(user_id))
        self.flush()
        return self.mail.sent[before:]
