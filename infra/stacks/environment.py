"""One deployment environment (stage) = one entry in infra/environments.yaml, validated on load."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

ENVIRONMENTS_FILE = Path(__file__).resolve().parent.parent / "environments.yaml"

# CloudWatch Logs accepts only these retention periods; anything else fails at deploy time, so fail earlier.
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

# Standard workflows run for at most one year; a human step cannot wait longer than that.
MAX_DECISION_TIMEOUT_SECONDS = 365 * 24 * 3600

_STAGE_NAME = re.compile(r"^[a-z][a-z0-9-]{1,15}$")
_EMAIL = re.compile(r"^[^@\s]+@([a-z0-9-]+\.)+[a-z]{2,}$", re.IGNORECASE)
_DOMAIN = re.compile(r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")
_BASE_URL = re.compile(r"^https://[^\s/?#]+(/[^\s?#]*)?$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_SMS_SENDER_ID = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$")
_CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:(?P<region>[a-z0-9-]+):\d{12}:certificate/[0-9a-f-]{36}$")


def _matching(pattern: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"is not {what}")
        return value

    return AfterValidator(check)


def _no_trailing_slash(value: str) -> str:
    # Links are built as f"{base}/approvals/{id}"; a trailing slash would double it.
    if value.endswith("/"):
        raise ValueError("must not end with '/'")
    return value


def _known_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        raise ValueError(f"must be one of the CloudWatch Logs retention periods {list(LOG_RETENTION_DAYS)}")
    return value


EmailAddress = Annotated[str, _matching(_EMAIL, "an e-mail address")]
DomainName = Annotated[str, _matching(_DOMAIN, "a lower-case domain name such as orders.example.org")]
BaseUrl = Annotated[
    str,
    _matching(_BASE_URL, "an https:// URL such as https://orders.example.org"),
    AfterValidator(_no_trailing_slash),
]
AccountId = Annotated[str, _matching(_ACCOUNT, "a 12-digit AWS account id (quote it in YAML)")]
RegionName = Annotated[str, _matching(_REGION, "an AWS region name such as eu-north-1")]
SmsSenderId = Annotated[str, _matching(_SMS_SENDER_ID, "1-11 letters and digits with at least one letter")]
RetentionDays = Annotated[int, AfterValidator(_known_retention)]
CertificateArn = Annotated[str, _matching(_CERTIFICATE_ARN, "an ACM certificate ARN")]


class Throttle(BaseModel):
    """API Gateway's token bucket: requests per second on average, and the burst it lets through at once."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    rate_per_second: float = Field(gt=0, le=10000)
    burst: int = Field(ge=1, le=5000)


# What a new stage may take, per method, unless its entry says otherwise: sign-in is a password guess, a code
# request is an SMS that costs money, a submission starts a workflow. Keys are "<METHOD> <path as Chalice
# names it>".
DEFAULT_METHOD_THROTTLES = {
    "POST /api/session": Throttle(rate_per_second=5, burst=10),
    "POST /api/orders": Throttle(rate_per_second=5, burst=10),
    "POST /api/approvals/{approval_id}/code": Throttle(rate_per_second=2, burst=5),
}

# CodeDeploy's predefined configurations for a Lambda alias (SAM DeploymentPreference Type).
ApiDeployment = Literal[
    "AllAtOnce",
    "Canary10Percent5Minutes",
    "Canary10Percent10Minutes",
    "Canary10Percent15Minutes",
    "Canary10Percent30Minutes",
    "Linear10PercentEvery1Minute",
    "Linear10PercentEvery2Minutes",
    "Linear10PercentEvery3Minutes",
    "Linear10PercentEvery10Minutes",
]

# The workflow's functions (and the outbox relay, which starts executions and answers their decisions), by
# their Chalice names: each may be given concurrency of its own, which the API cannot take from it.
RESERVABLE_FUNCTIONS = (
    "request_decision",
    "create_case",
    "close_order",
    "notify_operations",
    "hold_for_orderer",
    "deliver_outbox",
    "process_booking_events",
)
# Lambda keeps at least this much of the account's concurrency unreserved; a reservation that leaves less
# fails.
LAMBDA_UNRESERVED_MINIMUM = 100


class SlackChannel(BaseModel):
    """A Slack channel that AWS Chatbot posts the stage's alarms to (the workspace is authorised once, by
    hand)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    workspace_id: str = Field(pattern=r"^[A-Z0-9]{9,11}$")
    channel_id: str = Field(pattern=r"^[A-Z0-9]{9,11}$")


class RestoredTable(BaseModel):
    """A table restored from a backup (scripts/restore_table.py) that the stage uses instead of its own."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{3,255}$")
    stream_arn: str = Field(
        pattern=r"^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table/[A-Za-z0-9_.-]+/stream/\S+$"
    )


class ApiDomain(BaseModel):
    """The public host name of the API and pages; its certificate lives in ACM in the stage's region."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    domain_name: DomainName
    certificate_arn: CertificateArn


class EnvironmentConfig(BaseModel):
    """Everything that differs between dev, staging and prod; the stack reads nothing else."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    stage: Annotated[str, _matching(_STAGE_NAME, "a lower-case stage name such as dev")]
    account: AccountId
    region: RegionName

    sender_address: EmailAddress
    sender_domain: DomainName
    public_base_url: BaseUrl
    # Without it the API answers only on its execute-api URL, and public_base_url must be that URL.
    api_domain: ApiDomain | None = None
    operations_email: EmailAddress
    customer_service_email: EmailAddress
    alarm_email: EmailAddress

    log_retention_days: RetentionDays
    decision_timeout_seconds: int = Field(ge=60, le=MAX_DECISION_TIMEOUT_SECONDS)
    one_time_code_ttl_seconds: int = Field(default=300, ge=30, le=3600)
    one_time_code_max_attempts: int = Field(default=5, ge=1, le=10)

    # Deletion protection, termination protection and RETAIN on the data; meant for prod.
    protect_data: bool
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    lambda_memory_mb: int = Field(default=512, ge=128, le=10240)
    lambda_timeout_seconds: int = Field(default=30, ge=3, le=900)

    # Until the SES domain is verified Cognito must send its own mail; switch on after verification.
    cognito_mail_through_ses: bool = False
    # Cognito threat protection needs the Plus feature plan (billed per active user).
    cognito_threat_protection: bool = False
    # Only in the SES sandbox: recipients must be verified identities and the send policy must name them.
    sandbox_recipients: list[EmailAddress] = []

    # Account-wide SNS SMS settings cannot be set in CloudFormation; docs/deploy.md applies these.
    sms_sender_id: SmsSenderId | None = None
    sms_monthly_spend_limit_usd: int = Field(default=1, ge=1)

    bounce_rate_alarm_threshold: float = Field(default=0.05, gt=0, lt=1)
    complaint_rate_alarm_threshold: float = Field(default=0.001, gt=0, lt=1)
    # Below this share of SMS delivered in an hour, one-time codes are not reaching attesters.
    sms_success_rate_alarm_threshold: float = Field(default=0.9, gt=0, le=1)

    # The API edge: the stage's throttle, tighter ones per method, and AWS WAF (managed rules and a rate
    # rule).
    api_throttle: Throttle = Throttle(rate_per_second=50, burst=100)
    api_method_throttles: dict[str, Throttle] = DEFAULT_METHOD_THROTTLES
    waf: bool = False
    waf_requests_per_ip_per_5_minutes: int = Field(default=1000, ge=10, le=2_000_000_000)
    # API alarms: the share of 5xx answers, and p99 latency in milliseconds, over five minutes.
    api_5xx_rate_alarm_threshold: float = Field(default=0.01, gt=0, lt=1)
    api_latency_p99_alarm_ms: int = Field(default=5000, ge=100, le=29000)
    # How a new version of the API function takes traffic (CodeDeploy; the API's alarms roll it back).
    api_deployment: ApiDeployment = "AllAtOnce"

    # The account's Lambda concurrency quota (Service Quotas L-B99A9384); reservations must leave 100 of it.
    lambda_concurrency_quota: int = Field(default=1000, ge=10)
    # Concurrency reserved per workflow function; {} reserves none (a new account's quota may be too low).
    reserved_concurrency: dict[str, int] = {}

    # After a restore: the stage runs on this table instead of the one the stack made (docs/deploy.md).
    restored_table: RestoredTable | None = None
    # AWS Backup of the application table (daily, kept this many days), on top of point-in-time recovery.
    backup_retention_days: int | None = Field(default=None, ge=7, le=3650)

    # Where alarms go besides alarm_email: HTTPS endpoints (paging services' SNS integrations) and Slack.
    alarm_https_endpoints: list[Annotated[str, _matching(_BASE_URL, "an https:// URL")]] = []
    alarm_slack: SlackChannel | None = None
    # An order's execution that has not moved for this long is stuck (alarm orders-waiting-too-long).
    stuck_after_hours: int = Field(default=48, ge=1, le=24 * 365)

    # OpenTelemetry spans from the ADOT Lambda layer on every function (docs/deploy.md); X-Ray's active
    # tracing records invocations without it.
    opentelemetry: bool = False

    # The smoke test's attester gets one-time codes on an SNS topic instead of a phone (docs/deploy.md).
    smoke_test: bool = True

    # EHF invoices are kept under Object Lock for this long, then expire (docs/decisions.md): six years covers
    # Norway's five after the end of the financial year an invoice belongs to (bokføringsloven § 13). Where
    # protect_data is set the lock is in compliance mode (nobody can shorten it), else in governance mode.
    invoice_retention_days: int = Field(default=2192, ge=1, le=3650)

    @field_validator("sender_domain")
    @classmethod
    def _sender_belongs_to_domain(cls, sender_domain: str, info: ValidationInfo) -> str:
        sender_address = info.data.get("sender_address")
        if sender_address is None:
            return sender_domain  # already reported as missing or wrong
        address_domain = sender_address.rpartition("@")[2].lower()
        if address_domain != sender_domain and not address_domain.endswith("." + sender_domain):
            raise ValueError(
                f"does not contain sender_address {sender_address!r}; "
                "SES authorises and signs mail by the domain identity"
            )
        return sender_domain

    @field_validator("api_domain")
    @classmethod
    def _api_domain_serves_the_links(
        cls, api_domain: ApiDomain | None, info: ValidationInfo
    ) -> ApiDomain | None:
        if api_domain is None:
            return None
        region = info.data.get("region")
        match = _CERTIFICATE_ARN.fullmatch(api_domain.certificate_arn)
        if region and match and match["region"] != region:
            raise ValueError(f"certificate_arn must be in the stage's region {region} (the API is regional)")
        base_url = info.data.get("public_base_url")
        if base_url and base_url.removeprefix("https://").split("/")[0] != api_domain.domain_name:
            raise ValueError(f"domain_name must be the host of public_base_url {base_url!r}")
        return api_domain

    @field_validator("api_method_throttles")
    @classmethod
    def _method_throttles_name_methods(cls, throttles: dict[str, Throttle]) -> dict[str, Throttle]:
        for key in throttles:
            method, _, path = key.partition(" ")
            if method not in {"GET", "POST", "PUT", "PATCH", "DELETE"} or not path.startswith("/"):
                raise ValueError(f"{key!r} is not '<METHOD> /path' such as 'POST /api/orders'")
        return throttles

    @field_validator("reserved_concurrency")
    @classmethod
    def _reservations_fit_the_quota(cls, reserved: dict[str, int], info: ValidationInfo) -> dict[str, int]:
        if unknown := set(reserved) - set(RESERVABLE_FUNCTIONS):
            raise ValueError(
                f"names no workflow function: {sorted(unknown)}; known: {list(RESERVABLE_FUNCTIONS)}"
            )
        if any(value < 1 for value in reserved.values()):
            raise ValueError("each reservation must be at least 1 (leave a function out to reserve nothing)")
        quota = info.data.get("lambda_concurrency_quota", 1000)
        if sum(reserved.values()) > quota - LAMBDA_UNRESERVED_MINIMUM:
            raise ValueError(
                f"reserves {sum(reserved.values())} of a quota of {quota}; Lambda keeps "
                f"{LAMBDA_UNRESERVED_MINIMUM} unreserved, so at most {quota - LAMBDA_UNRESERVED_MINIMUM}"
            )
        return reserved

    @property
    def stack_name(self) -> str:
        return f"service-orders-{self.stage}"


class EnvironmentConfigError(ValueError):
    """A wrong or missing value in the environments file, named by stage and field."""


def _describe(error: ValidationError, stage: str, source: Path) -> str:
    lines = [f"{source}: stage {stage!r} is not valid:"]
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"]) or "(entry)"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "missing":
            lines.append(f"  {stage}.{field}: missing (required)")
        else:
            lines.append(f"  {stage}.{field}: {message} (got {problem['input']!r})")
    return "\n".join(lines)


def load_environments(source: Path = ENVIRONMENTS_FILE) -> dict[str, EnvironmentConfig]:
    """Validate every stage, so a typo in prod is caught while synthesizing dev."""
    try:
        document: Any = yaml.safe_load(source.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise EnvironmentConfigError(f"{source}: not valid YAML: {error}") from error
    if not isinstance(document, Mapping) or not document:
        raise EnvironmentConfigError(f"{source}: expected a mapping of stage name to settings")

    environments: dict[str, EnvironmentConfig] = {}
    for stage, settings in document.items():
        if not isinstance(settings, Mapping):
            raise EnvironmentConfigError(f"{source}: stage {stage!r} must be a mapping of settings")
        try:
            environments[str(stage)] = EnvironmentConfig.model_validate({"stage": str(stage), **settings})
        except ValidationError as error:
            raise EnvironmentConfigError(_describe(error, str(stage), source)) from None
    return environments


def load_environment(stage: str, source: Path = ENVIRONMENTS_FILE) -> EnvironmentConfig:
    environments = load_environments(source)
    if stage not in environments:
        known = ", ".join(environments)
        raise EnvironmentConfigError(f"{source}: no stage {stage!r}; known stages: {known}")
    return environments[stage]


def select_stage(context_stage: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """`-c stage=...` wins over STAGE, so a command line never deploys what a stale shell variable says."""
    stage = context_stage or environ.get("STAGE")
    if not stage:
        raise EnvironmentConfigError("no stage chosen: pass `-c stage=<dev|staging|prod>` or set STAGE")
    return stage
