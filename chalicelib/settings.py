"""Configuration from the environment, validated once per cold start (pydantic-settings)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, HttpUrl, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    aws_region: str = Field(default="eu-north-1", validation_alias="AWS_REGION")
    table_name: str
    idempotency_table_name: str
    state_machine_arn: str
    mail_sender: str
    ses_configuration_set: str | None = None
    public_base_url: HttpUrl
    operations_email: str
    customer_service_email: str
    # The provider's organisation in the directory: its administrators decide customer applications.
    provider_org_id: str = "provider"
    cognito_user_pool_id: str
    cognito_app_client_id: str
    cognito_jwks_url: str | None = None
    cognito_jwks_file: str | None = None
    link_secret_id: str  # Secrets Manager: the secret approval links are made with
    outbox_retry_queue_url: str
    outbox_dead_letter_queue_url: str
    outbox_first_retry_seconds: int = Field(default=60, ge=0, le=900)
    outbox_max_attempts: int = Field(default=20, ge=1)
    # Bookings (Flow 4): the key clients' identity numbers are hashed with for lookup (Secrets Manager). Optional
    # until the stage deploys bookings; used without it, bookings fail and nothing else does.
    identity_key_secret_id: str = ""
    invoice_bucket: str = ""  # S3: the EHF invoices, for the access point that sends them
    # Partner events: each partner's signing secret is the Secrets Manager secret <prefix><partner id>; kept
    # events are processed from this queue (its dead-letter queue is the stack's).
    partner_secret_prefix: str = "service-orders/partners/"  # noqa: S105 - a name's prefix, not a secret
    booking_events_queue_url: str = ""
    decision_timeout_seconds: int = Field(default=7 * 24 * 3600, ge=1)
    one_time_code_ttl_seconds: int = Field(default=300, ge=30)
    one_time_code_max_attempts: int = Field(default=5, ge=1)
    # The portal's web sessions: an absolute lifetime from sign-in, and an idle one that use extends. The idle
    # expiry is written at most once a minute, so it must be longer than that to be extended at all.
    web_session_lifetime_seconds: int = Field(default=8 * 3600, ge=300)
    web_session_idle_seconds: int = Field(default=30 * 60, ge=120)
    # Operations' list shows orders in progress unchanged for longer than this, besides those needing attention.
    operations_waiting_hours: int = Field(default=48, ge=1)
    # The smoke test's attester: a code for this number is published to this topic, not sent as an SMS.
    smoke_test_phone: str | None = None
    smoke_test_topic_arn: str | None = None
    # R-REQ-3: self-registrations per e-mail address a day, and per network address an hour.
    registrations_per_address: int = Field(default=5, ge=1)
    registrations_per_network: int = Field(default=20, ge=1)

    @model_validator(mode="after")
    def _idle_within_lifetime(self) -> Self:
        if self.web_session_idle_seconds > self.web_session_lifetime_seconds:
            raise ValueError("WEB_SESSION_IDLE_SECONDS must not exceed WEB_SESSION_LIFETIME_SECONDS")
        return self

    @property
    def base_url(self) -> str:
        return str(self.public_base_url).rstrip("/")

    @property
    def cognito_issuer(self) -> str:
        return f"https://cognito-idp.{self.aws_region}.amazonaws.com/{self.cognito_user_pool_id}"

    @property
    def jwks_url(self) -> str:
        return self.cognito_jwks_url or f"{self.cognito_issuer}/.well-known/jwks.json"
