"""Configuration from the environment, validated once per cold start (pydantic-settings)."""

from __future__ import annotations

from pydantic import Field, HttpUrl
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
    cognito_user_pool_id: str
    cognito_app_client_id: str
    cognito_jwks_url: str | None = None
    cognito_jwks_file: str | None = None
    link_secret_id: str  # Secrets Manager: the secret approval links are made with
    outbox_retry_queue_url: str
    outbox_dead_letter_queue_url: str
    outbox_first_retry_seconds: int = Field(default=60, ge=0, le=900)
    outbox_max_attempts: int = Field(default=20, ge=1)
    decision_timeout_seconds: int = Field(default=7 * 24 * 3600, ge=1)
    one_time_code_ttl_seconds: int = Field(default=300, ge=30)
    one_time_code_max_attempts: int = Field(default=5, ge=1)

    @property
    def base_url(self) -> str:
        return str(self.public_base_url).rstrip("/")

    @property
    def cognito_issuer(self) -> str:
        return f"https://cognito-idp.{self.aws_region}.amazonaws.com/{self.cognito_user_pool_id}"

    @property
    def jwks_url(self) -> str:
        return self.cognito_jwks_url or f"{self.cognito_issuer}/.well-known/jwks.json"
