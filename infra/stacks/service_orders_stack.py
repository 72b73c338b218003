"""The whole service for one stage: Chalice app, tables, sign-in, mail, order workflow and its operations."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, cast

from aws_cdk import (
    Acknowledgment,
    ArnFormat,
    CfnOutput,
    CfnResource,
    Duration,
    Fn,
    RemovalPolicy,
    Stack,
    Tags,
    Validations,
)
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_backup as backup
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_wafv2 as wafv2
from cdk_nag import NagPackSuppression, NagSuppressions
from chalice.cdk import Chalice
from chalicelib.adapters.dynamo.schema import APPLICATION_TABLE, IDEMPOTENCY_TABLE, TableSchema
from chalicelib.manifest import (
    GATEWAY_ERRORS,
    METRICS_NAMESPACE,
    ORDER_WORKFLOW_FILE,
    PASSWORD_POLICY,
    SMOKE_TEST_PHONE,
)
from chalicelib.shared.identity import ROLE_DESCRIPTIONS
from constructs import Construct

from .bookings import Bookings
from .environment import EnvironmentConfig
from .functions import (
    ALIAS,
    API_HANDLER,
    APP_NAME,
    DELIVER_OUTBOX_FUNCTION,
    FUNCTIONS,
    OPTIONAL_FUNCTIONS,
    PROCESS_BOOKING_EVENTS_FUNCTION,
    WORKFLOW_SUBSTITUTIONS,
    FunctionProfile,
    Grants,
    alias_arn,
    build_role,
    log_group_name,
)
from .operations import Operations
from .outbox import Outbox

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ORDER_WORKFLOW = PROJECT_ROOT / ORDER_WORKFLOW_FILE

# CDK names retention periods; environments.yaml gives days (the same set, checked by a test).
RETENTION: dict[int, logs.RetentionDays] = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}

_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")

API_STAGE = "api"
# API Gateway's access log, one JSON object per request; no body, no query string, no Authorization header.
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "time": "$context.requestTime",
        "ip": "$context.identity.sourceIp",
        "method": "$context.httpMethod",
        "resource": "$context.resourcePath",
        "status": "$context.status",
        "latencyMs": "$context.responseLatency",
        "integrationLatencyMs": "$context.integration.latency",
        "integrationError": "$context.integration.error",
        "responseLength": "$context.responseLength",
        "userAgent": "$context.identity.userAgent",
        "wafStatus": "$context.waf.status",
        "xrayTraceId": "$context.xrayTraceId",
    },
    separators=(",", ":"),
)


# The AWS Distro for OpenTelemetry layer for Python on x86_64, which AWS publishes in account 901920570463 in
# every commercial region under the same name and version. To update, take the newest
# aws-otel-python-amd64-ver-... name and its version from the table at
# https://aws-otel.github.io/docs/getting-started/lambda/lambda-python (or `aws lambda list-layer-versions
# --layer-name arn:aws:lambda:<region>:901920570463:layer:<name>`) and change both here.
ADOT_PYTHON_LAYER = "aws-otel-python-amd64-ver-1-29-0"
ADOT_PYTHON_LAYER_VERSION = 2
ADOT_LAYER_ACCOUNT = "901920570463"
OPENTELEMETRY_WRAPPER = "/opt/otel-instrument"


def adot_python_layer_arn(region: str) -> str:
    """Layers are regional: a function can only use the copy published in its own region."""
    layer = f"{ADOT_PYTHON_LAYER}:{ADOT_PYTHON_LAYER_VERSION}"
    return f"arn:aws:lambda:{region}:{ADOT_LAYER_ACCOUNT}:layer:{layer}"


def _string(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


def _sort_key(schema: TableSchema) -> dynamodb.Attribute | None:
    return _string(schema.sort_key) if schema.sort_key else None


class ServiceOrdersStack(Stack):
    def __init__(
        self, scope: Construct, config: EnvironmentConfig, *, source_dir: Path = PROJECT_ROOT, **kwargs: Any
    ) -> None:
        super().__init__(
            scope,
            config.stack_name,
            description=f"Service orders ({config.stage}): API, order workflow, data, sign-in and mail",
            termination_protection=config.protect_data,
            **kwargs,
        )
        self.config = config
        self.prefix = f"{APP_NAME}-{config.stage}"
        # RetainExceptOnCreate: kept on every later update or delete, but a first deploy that fails and rolls
        # back removes what it created, so retrying it meets no leftover log group or table of the same name.
        self.data_removal = (
            RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE if config.protect_data else RemovalPolicy.DESTROY
        )
        Tags.of(self).add("service", APP_NAME)
        Tags.of(self).add("stage", config.stage)

        self.table = self._application_table()
        self.idempotency_table = self._idempotency_table()
        self.user_pool, self.user_pool_client = self._sign_in()
        self.configuration_set, self.mail_identity = self._mail()
        self.outbox = Outbox(self, "Outbox", prefix=self.prefix, data_removal=self.data_removal)
        self.bookings = Bookings(
            self,
            "Bookings",
            prefix=self.prefix,
            data_removal=self.data_removal,
            invoice_retention_days=config.invoice_retention_days,
            invoice_retention_compliance=config.protect_data,
            function_timeout_seconds=config.lambda_timeout_seconds,
        )

        # The API must know the workflow's ARN and the workflow names the functions' ARNs: a fixed name
        # lets the ARN be written down before the state machine exists, which breaks the cycle.
        self.state_machine_name = f"{self.prefix}-order-workflow"
        self.state_machine_arn = self.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=self.state_machine_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

        grants = self._grants()
        # Chalice needs a default role while packaging; the API's own role is that default.
        api_role = build_role(self, API_HANDLER, config.stage, grants)
        self.chalice = Chalice(
            self,
            "ChaliceApp",
            source_dir=str(source_dir),
            stage_config={
                "api_gateway_stage": API_STAGE,
                # Regional: the certificate stays in the stage's region and traffic in its geography.
                "api_gateway_endpoint_type": "REGIONAL",
                **self._custom_domain(),
                "autogen_policy": False,
                "manage_iam_role": False,
                "iam_role_arn": api_role.role_arn,
                "xray": True,
                "lambda_memory_size": config.lambda_memory_mb,
                "lambda_timeout": config.lambda_timeout_seconds,
                "environment_variables": self._environment_variables(),
                **self._opentelemetry_layers(),
            },
        )
        self.roles: dict[str, iam.Role] = {API_HANDLER.logical_id: api_role}
        self.function_log_groups: dict[str, logs.LogGroup] = {}
        self.functions = self._configure_functions(grants)
        self._bookings_environment()
        self.api_logs = self._configure_api()
        self.web_acl = self._web_acl() if config.waf else None
        self.outbox.feed(
            self.chalice.get_function(DELIVER_OUTBOX_FUNCTION.logical_id),
            self.table,
            alias_arn=alias_arn(DELIVER_OUTBOX_FUNCTION.logical_id),
        )
        self.bookings.feed(
            self.chalice.get_function(PROCESS_BOOKING_EVENTS_FUNCTION.logical_id),
            alias_arn=alias_arn(PROCESS_BOOKING_EVENTS_FUNCTION.logical_id),
        )
        self.smoke_codes = self._smoke_test_codes() if config.smoke_test else None

        self.state_machine = self._order_workflow()
        self.operations = Operations(
            self,
            "Operations",
            config=config,
            state_machine=self.state_machine,
            function_names={
                profile.logical_id: profile.function_name(config.stage)
                for profile in FUNCTIONS
                if profile.logical_id in self.functions
            },
            configuration_set_name=self.configuration_set.configuration_set_name,
            outbox_dead_letters=self.outbox.dead_letters,
            booking_dead_letters=self.bookings.dead_letters,
            table=self.table,
            api_name=APP_NAME,
            api_stage=API_STAGE,
        )
        self._deploy_api_gradually()
        if config.backup_retention_days is not None:
            self._backup_plan(config.backup_retention_days)
        self._outputs()

    # --- data -------------------------------------------------------------------------------------

    def _application_table(self) -> dynamodb.ITable:
        schema = APPLICATION_TABLE
        restored = self.config.restored_table
        if restored is not None:
            # A table restored by scripts/restore_table.py, which the stack uses but does not own: the table
            # it made before is left as it is (retained where data is protected), docs/deploy.md "Restoring".
            return dynamodb.Table.from_table_attributes(
                self, "ApplicationTable", table_name=restored.name, table_stream_arn=restored.stream_arn
            )
        table = dynamodb.Table(
            self,
            "ApplicationTable",
            partition_key=_string(schema.partition_key),
            sort_key=_sort_key(schema),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=schema.ttl_attribute,
            # The outbox relay reads the changes (infra/stacks/outbox.py).
            stream=dynamodb.StreamViewType[schema.stream_view] if schema.stream_view else None,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            deletion_protection=self.config.protect_data,
            removal_policy=self.data_removal,
        )
        for index in schema.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_string(index.partition_key),
                sort_key=_string(index.sort_key),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        return table

    def _idempotency_table(self) -> dynamodb.Table:
        # Records live minutes to hours and are safe to lose with the stack, hence no retention.
        return dynamodb.Table(
            self,
            "IdempotencyTable",
            partition_key=_string(IDEMPOTENCY_TABLE.partition_key),
            sort_key=_sort_key(IDEMPOTENCY_TABLE),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=IDEMPOTENCY_TABLE.ttl_attribute,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            removal_policy=RemovalPolicy.DESTROY,
        )

    # --- sign-in ----------------------------------------------------------------------------------

    def _sign_in(self) -> tuple[cognito.UserPool, cognito.UserPoolClient]:
        config = self.config
        mail = (
            cognito.UserPoolEmail.with_ses(
                from_email=config.sender_address,
                from_name="Service Orders",
                ses_region=config.region,
                ses_verified_domain=config.sender_domain,
                configuration_set_name=self.prefix,
            )
            if config.cognito_mail_through_ses
            else cognito.UserPoolEmail.with_cognito()
        )
        pool = cognito.UserPool(
            self,
            "Users",
            user_pool_name=self.prefix,
            # Administrators add their organisation's users (R-ONB-3); nobody signs themselves up.
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True),
                fullname=cognito.StandardAttribute(required=False, mutable=True),
                phone_number=cognito.StandardAttribute(required=False, mutable=True),
            ),
            custom_attributes={"org_id": cognito.StringAttribute(min_len=1, max_len=64, mutable=True)},
            password_policy=cognito.PasswordPolicy(
                min_length=PASSWORD_POLICY.min_length,
                require_lowercase=PASSWORD_POLICY.require_lowercase,
                require_uppercase=PASSWORD_POLICY.require_uppercase,
                require_digits=PASSWORD_POLICY.require_digits,
                require_symbols=PASSWORD_POLICY.require_symbols,
                temp_password_validity=Duration.days(PASSWORD_POLICY.temporary_password_days),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            email=mail,
            feature_plan=cognito.FeaturePlan.PLUS if config.cognito_threat_protection else None,
            standard_threat_protection_mode=(
                cognito.StandardThreatProtectionMode.FULL_FUNCTION
                if config.cognito_threat_protection
                else None
            ),
            deletion_protection=config.protect_data,
            removal_policy=self.data_removal,
        )
        NagSuppressions.add_resource_suppressions(
            pool,
            [
                NagPackSuppression(
                    id="AwsSolutions-COG2",
                    reason="Sign-in MFA is optional (TOTP offered): attestation, the act that needs strong "
                    "authentication, asks for a one-time code by SMS at that moment (R-ORD-4).",
                ),
            ]
            + (
                []
                if config.cognito_threat_protection
                else [
                    NagPackSuppression(
                        id=rule,
                        reason="Threat protection needs the Plus feature plan, billed per active user; "
                        "cognito_threat_protection in infra/environments.yaml switches it on per stage "
                        "(on in prod).",
                    )
                    for rule in ("AwsSolutions-COG3", "AwsSolutions-COG8")
                ]
            ),
        )

        # Groups mirror the directory's roles for people browsing the pool; the API reads roles from the
        # directory, never from the token.
        for role, description in ROLE_DESCRIPTIONS.items():
            cognito.UserPoolGroup(
                self, f"Group{role.value}", user_pool=pool, group_name=role.value, description=description
            )

        client = pool.add_client(
            "WebClient",
            user_pool_client_name=f"{self.prefix}-web",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_password=True),
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(
                email=True, email_verified=True, fullname=True, phone_number=True, phone_number_verified=True
            )
            .with_custom_attributes("org_id"),
            # A user must not move themselves to another organisation: org_id is not writable by the client.
            write_attributes=cognito.ClientAttributes().with_standard_attributes(fullname=True),
        )
        return pool, client

    # --- mail -------------------------------------------------------------------------------------

    def _mail(self) -> tuple[ses.ConfigurationSet, ses.EmailIdentity]:
        configuration_set = ses.ConfigurationSet(
            self,
            "MailConfiguration",
            configuration_set_name=self.prefix,
            reputation_metrics=True,
            sending_enabled=True,
            suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
            tls_policy=ses.ConfigurationSetTlsPolicy.REQUIRE,
        )
        # Counts per event land in CloudWatch (AWS/SES, dimension ses:configuration-set) for the
        # dashboard; SES's suppression list keeps the bounced addresses themselves.
        configuration_set.add_event_destination(
            "BouncesAndComplaints",
            configuration_set_event_destination_name="bounces-and-complaints",
            destination=ses.EventDestination.cloud_watch_dimensions(
                [
                    ses.CloudWatchDimension(
                        name="ses:configuration-set",
                        source=ses.CloudWatchDimensionSource.MESSAGE_TAG,
                        default_value=self.prefix,
                    )
                ]
            ),
            events=[
                ses.EmailSendingEvent.SEND,
                ses.EmailSendingEvent.DELIVERY,
                ses.EmailSendingEvent.BOUNCE,
                ses.EmailSendingEvent.COMPLAINT,
                ses.EmailSendingEvent.REJECT,
            ],
        )
        identity = ses.EmailIdentity(
            self,
            "MailDomain",
            identity=ses.Identity.domain(self.config.sender_domain),
            configuration_set=configuration_set,
            dkim_identity=ses.DkimIdentity.easy_dkim(ses.EasyDkimSigningKeyLength.RSA_2048_BIT),
            dkim_signing=True,
            # A MAIL FROM of our own domain: SPF then passes for the sender's domain, as DMARC asks; until its
            # MX and SPF records exist SES falls back to amazonses.com rather than refusing to send.
            mail_from_domain=self.mail_from_domain,
            mail_from_behavior_on_mx_failure=ses.MailFromBehaviorOnMxFailure.USE_DEFAULT_VALUE,
        )
        return configuration_set, identity

    @property
    def mail_from_domain(self) -> str:
        return f"bounce.{self.config.sender_domain}"

    # --- functions --------------------------------------------------------------------------------

    def _grants(self) -> Grants:
        def ses_arn(resource: str, name: str) -> str:
            return self.format_arn(service="ses", resource=resource, resource_name=name)

        return Grants(
            table_arn=self.table.table_arn,
            index_arns=[f"{self.table.table_arn}/index/{index.name}" for index in APPLICATION_TABLE.indexes],
            idempotency_table_arn=self.idempotency_table.table_arn,
            state_machine_arn=self.state_machine_arn,
            executions_arn=self.format_arn(
                service="states",
                resource="execution",
                resource_name=f"{self.state_machine_name}:*",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            ),
            mail_identity_arns=[
                ses_arn("identity", self.config.sender_domain),
                *(ses_arn("identity", address) for address in self.config.sandbox_recipients),
            ],
            configuration_set_arn=ses_arn("configuration-set", self.prefix),
            sender_address=self.config.sender_address,
            link_secret_arn=self.outbox.link_secret.secret_arn,
            table_stream_arn=self.table.table_stream_arn or "",
            outbox_queue_arns=self.outbox.queue_arns,
            user_pool_arn=self.user_pool.user_pool_arn,
            identity_key_arn=self.bookings.identity_key.secret_arn,
            partner_secrets_arn=self.bookings.partner_secrets_arn,
            invoice_objects_arn=self.bookings.invoice_objects_arn,
            booking_events_queue_arn=self.bookings.queue.queue_arn,
        )

    def _bookings_environment(self) -> None:
        """Bookings' names, each only on the functions whose code uses it (chalicelib/bootstrap.py)."""
        per_function = {
            API_HANDLER.logical_id: {
                # Partner events' signatures, and clients' identity numbers hashed for lookup (R-BKG-3).
                "IDENTITY_KEY_SECRET_ID": self.bookings.identity_key.secret_arn,
                "PARTNER_SECRET_PREFIX": self.bookings.partner_secret_prefix,
            },
            DELIVER_OUTBOX_FUNCTION.logical_id: {
                # The relay stores staged invoices and queues kept partner events.
                "INVOICE_BUCKET": self.bookings.invoices.bucket_name,
                "BOOKING_EVENTS_QUEUE_URL": self.bookings.queue.queue_url,
            },
        }
        for function_id, variables in per_function.items():
            for name, value in variables.items():
                self.chalice.add_environment_variable(name, value, function_id)

    def _environment_variables(self) -> dict[str, str]:
        config = self.config
        return {
            "POWERTOOLS_SERVICE_NAME": APP_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": config.log_level,
            "TABLE_NAME": self.table.table_name,
            "IDEMPOTENCY_TABLE_NAME": self.idempotency_table.table_name,
            "STATE_MACHINE_ARN": self.state_machine_arn,
            "MAIL_SENDER": config.sender_address,
            "SES_CONFIGURATION_SET": self.prefix,
            "PUBLIC_BASE_URL": config.public_base_url,
            "OPERATIONS_EMAIL": config.operations_email,
            "CUSTOMER_SERVICE_EMAIL": config.customer_service_email,
            "COGNITO_USER_POOL_ID": self.user_pool.user_pool_id,
            "COGNITO_APP_CLIENT_ID": self.user_pool_client.user_pool_client_id,
            "DECISION_TIMEOUT_SECONDS": str(config.decision_timeout_seconds),
            "ONE_TIME_CODE_TTL_SECONDS": str(config.one_time_code_ttl_seconds),
            "ONE_TIME_CODE_MAX_ATTEMPTS": str(config.one_time_code_max_attempts),
            "LINK_SECRET_ID": self.outbox.link_secret.secret_arn,
            "OUTBOX_RETRY_QUEUE_URL": self.outbox.retries.queue_url,
            "OUTBOX_DEAD_LETTER_QUEUE_URL": self.outbox.dead_letters.queue_url,
            # Operations' list and the alarm orders-waiting-too-long use the same limit.
            "OPERATIONS_WAITING_HOURS": str(config.stuck_after_hours),
            **self._opentelemetry_environment(),
        }

    def _opentelemetry_layers(self) -> dict[str, Any]:
        if not self.config.opentelemetry:
            return {}
        return {"layers": [adot_python_layer_arn(self.config.region)]}

    def _opentelemetry_environment(self) -> dict[str, str]:
        # The layer's wrapper starts the instrumentation before the handler; the app's code is unchanged.
        if not self.config.opentelemetry:
            return {}
        return {
            "AWS_LAMBDA_EXEC_WRAPPER": OPENTELEMETRY_WRAPPER,
            "OTEL_SERVICE_NAME": APP_NAME,
            # Spans continue the X-Ray trace Lambda's active tracing and Step Functions start.
            "OTEL_PROPAGATORS": "xray",
        }

    def _custom_domain(self) -> dict[str, Any]:
        domain = self.config.api_domain
        if domain is None:
            return {}
        return {
            "api_gateway_custom_domain": {
                "domain_name": domain.domain_name,
                "certificate_arn": domain.certificate_arn,
                "tls_version": "TLS_1_2",
            }
        }

    def _packaged_function_ids(self) -> set[str]:
        return {
            child.node.id
            for child in self.chalice.sam_template.node.children
            if isinstance(child, CfnResource) and child.cfn_resource_type == "AWS::Serverless::Function"
        }

    def _configure_functions(self, grants: Grants) -> dict[str, CfnResource]:
        packaged = self._packaged_function_ids()
        known = {profile.logical_id for profile in FUNCTIONS}
        if unknown := packaged - known:
            raise ValueError(
                f"app.py declares Lambda functions {sorted(unknown)} that infra/stacks/functions.py does not "
                "know; add a FunctionProfile so each gets its own least-privilege role"
            )
        if missing := known - packaged - OPTIONAL_FUNCTIONS:
            raise ValueError(f"app.py lacks the Lambda functions {sorted(missing)} of docs/architecture.md")

        functions: dict[str, CfnResource] = {}
        for profile in FUNCTIONS:
            if profile.logical_id not in packaged:
                continue
            if profile.logical_id not in self.roles:
                self.roles[profile.logical_id] = build_role(self, profile, self.config.stage, grants)
            self.function_log_groups[profile.logical_id] = logs.LogGroup(
                self,
                f"{profile.logical_id}Logs",
                log_group_name=log_group_name(profile, self.config.stage),
                retention=RETENTION[self.config.log_retention_days],
                removal_policy=self.data_removal,
            )
            function = self.chalice.get_resource(profile.logical_id)
            self._give_identity(function, profile)
            self._publish_versions(function, profile)
            functions[profile.logical_id] = function
        return functions

    def _publish_versions(self, function: CfnResource, profile: FunctionProfile) -> None:
        """Every deploy that changes a function publishes a version and moves its alias; everything that calls
        a function (the workflow, the API, the event sources, the schedule) calls the alias
        (docs/decisions.md)."""
        function.add_property_override("AutoPublishAlias", ALIAS)
        # A change of configuration alone (an environment variable, the memory) publishes a version too.
        function.add_property_override("AutoPublishAliasAllProperties", True)
        reserved = self.config.reserved_concurrency.get(profile.chalice_name)
        if reserved is not None:
            # Kept for this function alone: a flood on the API cannot take the concurrency the workflow needs.
            function.add_property_override("ReservedConcurrentExecutions", reserved)

    def _give_identity(self, function: CfnResource, profile: FunctionProfile) -> None:
        stage = self.config.stage
        function.add_property_override("FunctionName", profile.function_name(stage))
        function.add_property_override("Description", profile.description)
        function.add_property_override("Role", self.roles[profile.logical_id].role_arn)
        # Our log group, with retention, exists before the function can write; Lambda never makes one.
        function.add_property_override(
            "LoggingConfig", {"LogGroup": self.function_log_groups[profile.logical_id].log_group_name}
        )
        NagSuppressions.add_resource_suppressions(
            function,
            [
                NagPackSuppression(
                    id="AwsSolutions-L1",
                    reason="python3.12 on Amazon Linux 2023, supported until 2028; the package's compiled "
                    "wheels are built for it and checked offline (tests/infra/test_infra_package.py). A "
                    "newer runtime is its own change, with its wheels and a full test run.",
                ),
                NagPackSuppression(
                    id="Serverless-LambdaLatestVersion",
                    reason="python3.12 on Amazon Linux 2023, supported until 2028, with its wheels checked "
                    "offline; a newer runtime is its own change.",
                ),
                NagPackSuppression(
                    id="Serverless-LambdaDLQ",
                    reason="Every invocation but the schedule's is synchronous (API Gateway, the state "
                    "machine's Retry and Catch, event source mappings with their own failure destination); a "
                    "failed reconciliation run is repeated by the next one 15 minutes later.",
                ),
            ],
        )

    def _configure_api(self) -> logs.LogGroup:
        api = self.chalice.get_resource("RestAPI")
        api.add_property_override("TracingEnabled", True)
        NagSuppressions.add_resource_suppressions(
            api,
            [
                NagPackSuppression(
                    id="AwsSolutions-APIG2",
                    reason="Every route validates its parameters and body itself against its declared "
                    "pydantic model (entrypoints/contract.py) and answers in the API's error shape; a "
                    "gateway validator would answer in another.",
                )
            ],
        )
        # Without it SAM also deploys the API to a second, public stage named "Stage" (swagger 2.0 behaviour).
        api.add_property_override("OpenApiVersion", "3.0.1")
        api.add_property_override("DefinitionBody", self._definition_calling_aliases())
        access_logs = logs.LogGroup(
            self,
            "ApiAccessLogs",
            log_group_name=f"/aws/apigateway/{self.prefix}/access",
            retention=RETENTION[self.config.log_retention_days],
            removal_policy=self.data_removal,
        )
        api.add_property_override(
            "AccessLogSetting", {"DestinationArn": access_logs.log_group_arn, "Format": ACCESS_LOG_FORMAT}
        )
        api.add_property_override("MethodSettings", self._method_settings())
        # API Gateway writes its execution logs into a group it names after the API; made here, it has a
        # retention.
        logs.CfnLogGroup(
            self,
            "ApiExecutionLogs",
            log_group_name=Fn.sub(f"API-Gateway-Execution-Logs_${{RestAPI}}/{API_STAGE}"),
            retention_in_days=self.config.log_retention_days,
        ).apply_removal_policy(self.data_removal)
        self._api_gateway_logging_role(api)
        packaged = {child.node.id for child in self.chalice.sam_template.node.children}
        for permission in ("APIHandlerInvokePermission", "AuthorizerInvokePermission"):
            if permission not in packaged:
                continue  # the authorizer's exists only with @app.authorizer()
            resource = self.chalice.get_resource(permission)
            function_id = permission.removesuffix("InvokePermission")
            resource.add_property_override("FunctionName", alias_arn(function_id))
            _acknowledge_sam_references(resource)
        # What the gateway answers by itself (no token, a token not valid, no such route) has the body every
        # error of the API has; the local product answers the same (local/http_server.py).
        for error in GATEWAY_ERRORS:
            message = (
                json.dumps(error.message) if error.message is not None else "$context.error.messageString"
            )
            apigateway.CfnGatewayResponse(
                self,
                f"Gateway{error.response_type.title().replace('_', '')}",
                rest_api_id=self.chalice.get_resource("RestAPI").ref,
                response_type=error.response_type,
                response_templates={
                    "application/json": f'{{"message": {message}, "code": "{error.code}", "errors": []}}'
                },
                response_parameters={"gatewayresponse.header.Cache-Control": "'no-store'"},
            )
        if self.config.api_domain is not None:
            # Chalice maps the domain to the stage by name, so CloudFormation may create the mapping before
            # SAM's stage exists ("Invalid stage identifier", aws/chalice#1735); SAM's RestAPI.Stage
            # reference orders the two.
            mapping = self.chalice.get_resource("ApiGatewayCustomDomainMapping")
            mapping.add_property_override("Stage", {"Ref": "RestAPI.Stage"})
            _acknowledge_sam_references(mapping)
        return access_logs

    def _definition_calling_aliases(self) -> dict[str, Any]:
        """The OpenAPI document `chalice package` made, its integrations calling the functions' aliases."""
        packaged = json.loads((Path(self.chalice._sam_package_dir) / "sam.json").read_text(encoding="utf-8"))
        text = json.dumps(packaged["Resources"]["RestAPI"]["Properties"]["DefinitionBody"])
        for function_id in ("APIHandler", "Authorizer"):
            text = text.replace(f"${{{function_id}.Arn}}", f"${{{function_id}.Alias}}")
        body: dict[str, Any] = json.loads(text)
        return body

    def _method_settings(self) -> list[dict[str, Any]]:
        config = self.config
        everything = {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": config.api_throttle.rate_per_second,
            "ThrottlingBurstLimit": config.api_throttle.burst,
            "MetricsEnabled": True,
            # Execution logs say what the gateway did (authorizer, integration, errors), never the bodies.
            "LoggingLevel": "INFO" if config.log_level == "DEBUG" else "ERROR",
            "DataTraceEnabled": False,
        }
        settings = [everything]
        for key, throttle in config.api_method_throttles.items():
            method, _, path = key.partition(" ")
            settings.append(
                {
                    **everything,
                    # API Gateway names a path with every slash escaped as ~1, after a leading slash.
                    "ResourcePath": "/" + path.replace("/", "~1"),
                    "HttpMethod": method,
                    "ThrottlingRateLimit": throttle.rate_per_second,
                    "ThrottlingBurstLimit": throttle.burst,
                }
            )
        return settings

    def _api_gateway_logging_role(self, api: CfnResource) -> None:
        """Execution logs need the account's API Gateway setting to name a role it may write logs with."""
        role = iam.Role(
            self,
            "ApiGatewayLogsRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description=f"{self.prefix}: API Gateway writes the API's execution logs",
            inline_policies={
                "WriteExecutionLogs": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            sid="ExecutionLogGroups",
                            actions=[
                                "logs:CreateLogGroup",
                                "logs:CreateLogStream",
                                "logs:DescribeLogStreams",
                                "logs:PutLogEvents",
                                "logs:PutRetentionPolicy",
                            ],
                            resources=[
                                self.format_arn(
                                    service="logs",
                                    resource="log-group",
                                    resource_name="API-Gateway-Execution-Logs_*",
                                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                                )
                            ],
                        ),
                        iam.PolicyStatement(
                            sid="FindLogGroups", actions=["logs:DescribeLogGroups"], resources=["*"]
                        ),
                    ]
                )
            },
        )
        NagSuppressions.add_resource_suppressions(
            role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason="API Gateway names each API's execution log group API-Gateway-Execution-Logs_<api "
                    "id>/<stage> itself; logs:DescribeLogGroups has no resource-level permission.",
                    applies_to=[
                        "Resource::*",
                        {"regex": "/^Resource::.*:log-group:API-Gateway-Execution-Logs_\\*$/g"},
                    ],
                )
            ],
        )
        account = apigateway.CfnAccount(self, "ApiGatewayAccount", cloud_watch_role_arn=role.role_arn)
        # The stage's logging needs the account's role first.
        api.add_resource_dependency(account)

    def _web_acl(self) -> wafv2.CfnWebACL:
        """AWS WAF in front of the stage: AWS's common and known-bad-inputs rule sets and a rate limit per
        IP."""

        def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True,
                metric_name=f"{self.prefix}-{name}",
                sampled_requests_enabled=True,
            )

        def managed(priority: int, name: str) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=name
                    )
                ),
                visibility_config=visibility(name),
            )

        acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=f"{self.prefix}-api",
            description="The API edge: AWS managed rules and a rate limit per client address",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=visibility("api"),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="RatePerAddress",
                    priority=0,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=self.config.waf_requests_per_ip_per_5_minutes, aggregate_key_type="IP"
                        )
                    ),
                    visibility_config=visibility("rate"),
                ),
                managed(1, "AWSManagedRulesCommonRuleSet"),
                managed(2, "AWSManagedRulesKnownBadInputsRuleSet"),
            ],
        )
        # WAF's own log group must be named aws-waf-logs-*; requests it blocked are kept with the stage's
        # retention.
        waf_logs = logs.LogGroup(
            self,
            "WafLogs",
            log_group_name=f"aws-waf-logs-{self.prefix}",
            retention=RETENTION[self.config.log_retention_days],
            removal_policy=self.data_removal,
        )
        wafv2.CfnLoggingConfiguration(
            self,
            "WafLogging",
            resource_arn=acl.attr_arn,
            log_destination_configs=[waf_logs.log_group_arn],
            # Sign-in and decisions carry secrets in headers; none of them is logged.
            redacted_fields=[
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": "authorization"}),
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": "cookie"}),
            ],
        )
        association = wafv2.CfnWebACLAssociation(
            self,
            "WebAclOnStage",
            web_acl_arn=acl.attr_arn,
            # The stage's reference (not its name) makes CloudFormation create the stage first.
            resource_arn=Fn.join(
                "",
                [
                    f"arn:{self.partition}:apigateway:{self.region}::/restapis/",
                    Fn.ref("RestAPI"),
                    "/stages/",
                    Fn.ref("RestAPI.Stage"),
                ],
            ),
        )
        _acknowledge_sam_references(association)
        return acl

    def _deploy_api_gradually(self) -> None:
        """A new version of the API function takes traffic as the stage says; CodeDeploy moves the alias back
        when one of the API's alarms fires meanwhile."""
        if self.config.api_deployment == "AllAtOnce":
            return
        function_name = API_HANDLER.function_name(self.config.stage)
        role = iam.Role(
            self,
            "ApiDeploymentRole",
            assumed_by=iam.ServicePrincipal("codedeploy.amazonaws.com"),
            description=f"{self.prefix}: CodeDeploy shifts the API function's alias and watches its alarms",
            inline_policies={
                "ShiftTraffic": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            sid="MoveTheAlias",
                            actions=[
                                "lambda:GetAlias",
                                "lambda:UpdateAlias",
                                "lambda:GetProvisionedConcurrencyConfig",
                            ],
                            resources=[
                                self.format_arn(
                                    service="lambda",
                                    resource="function",
                                    resource_name=f"{function_name}:*",
                                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                                )
                            ],
                        ),
                        iam.PolicyStatement(
                            sid="ReadAlarms", actions=["cloudwatch:DescribeAlarms"], resources=["*"]
                        ),
                    ]
                )
            },
        )
        NagSuppressions.add_resource_suppressions(
            role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason="The alias is moved between versions of the API function, whose ARNs end in the "
                    "version or alias (function:<name>:*); cloudwatch:DescribeAlarms has no resource-level "
                    "permission.",
                    applies_to=[
                        "Resource::*",
                        {"regex": "/^Resource::.*:function:service-orders-.*-api_handler:\\*$/g"},
                    ],
                )
            ],
        )
        function = self.functions[API_HANDLER.logical_id]
        function.add_property_override(
            "DeploymentPreference",
            {
                "Type": self.config.api_deployment,
                "Alarms": [alarm.alarm_name for alarm in self.operations.rollback_alarms],
                "Role": role.role_arn,
            },
        )

    # --- the smoke test -----------------------------------------------------------------------------

    def _smoke_test_codes(self) -> sqs.Queue:
        """One-time codes for the smoke test's attester go to a topic, read from this queue by `make smoke`,
        instead of to a phone: the smoke test can then sign on a stage nobody holds a phone for."""
        key = kms.Key(
            self,
            "SmokeCodesKey",
            description=f"{self.prefix}: encrypts the smoke test's one-time codes",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
        )
        topic = sns.Topic(
            self,
            "SmokeCodes",
            topic_name=f"{self.prefix}-smoke-codes",
            master_key=key,
            enforce_ssl=True,
        )
        queue = sqs.Queue(
            self,
            "SmokeCodesQueue",
            queue_name=f"{self.prefix}-smoke-codes",
            retention_period=Duration.hours(1),
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
        )
        key.grant_encrypt_decrypt(iam.ServicePrincipal("sns.amazonaws.com"))
        topic.add_subscription(subscriptions.SqsSubscription(queue, raw_message_delivery=True))
        NagSuppressions.add_resource_suppressions(
            queue,
            [
                NagPackSuppression(
                    id=rule,
                    reason="Holds the smoke test's one-time codes for an hour; a code not read is simply "
                    "expired, so a dead-letter queue would keep nothing worth keeping.",
                )
                for rule in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy")
            ],
        )
        NagSuppressions.add_resource_suppressions(
            queue,
            [
                NagPackSuppression(
                    id="Serverless-SNSRedrivePolicy",
                    reason="The subscriber is the smoke test's own queue; a code that fails to arrive fails "
                    "the smoke test, which is the signal wanted.",
                )
            ],
            apply_to_children=True,
        )
        NagSuppressions.add_resource_suppressions(
            topic,
            [
                NagPackSuppression(
                    id="Serverless-SNSRedrivePolicy",
                    reason="The subscriber is the smoke test's own queue; a code that fails to arrive fails "
                    "the smoke test, which is the signal wanted.",
                )
            ],
            apply_to_children=True,
        )
        for function_id in (API_HANDLER.logical_id,):
            self.chalice.add_environment_variable("SMOKE_TEST_PHONE", SMOKE_TEST_PHONE, function_id)
            self.chalice.add_environment_variable("SMOKE_TEST_TOPIC_ARN", topic.topic_arn, function_id)
        self.roles[API_HANDLER.logical_id].add_to_policy(
            iam.PolicyStatement(
                sid="SmokeTestCodes", actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[key.key_arn]
            )
        )
        return queue

    # --- recovery -----------------------------------------------------------------------------------

    def _backup_plan(self, retention_days: int) -> None:
        """Daily backups of the application table in a vault of their own, beside point-in-time recovery."""
        vault = backup.BackupVault(
            self,
            "BackupVault",
            backup_vault_name=f"{self.prefix}-backups",
            removal_policy=RemovalPolicy.RETAIN,
        )
        plan = backup.BackupPlan(
            self,
            "BackupPlan",
            backup_plan_name=f"{self.prefix}-daily",
            backup_vault=vault,
            backup_plan_rules=[
                backup.BackupPlanRule(
                    rule_name="Daily",
                    schedule_expression=events.Schedule.cron(hour="3", minute="0"),
                    delete_after=Duration.days(retention_days),
                    start_window=Duration.hours(1),
                    completion_window=Duration.hours(4),
                )
            ],
        )
        selection = plan.add_selection(
            "ApplicationTable",
            resources=[backup.BackupResource.from_dynamo_db_table(self.table)],
            allow_restores=True,
        )
        # `make restore BACKUP=<recovery point>` restores with this role (scripts/restore_table.py).
        role = cast(iam.IRole, selection.grant_principal)
        CfnOutput(self, "BackupRoleArn", value=role.role_arn)
        NagSuppressions.add_resource_suppressions(
            selection,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM4",
                    reason="AWS Backup's own service-role policies for backup and restore, kept current by "
                    "AWS as the service changes; the selection limits them to the application table.",
                    applies_to=[
                        "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
                        "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
                    ],
                )
            ],
            apply_to_children=True,
        )

    # --- order workflow ---------------------------------------------------------------------------

    def _order_workflow(self) -> sfn.StateMachine:
        definition = ORDER_WORKFLOW.read_text(encoding="utf-8")
        placeholders = set(_PLACEHOLDER.findall(definition))
        if unfilled := placeholders - WORKFLOW_SUBSTITUTIONS.keys():
            raise ValueError(
                f"{ORDER_WORKFLOW.name} uses substitutions {sorted(unfilled)} that no function fills"
            )

        # The aliases: an order in flight calls the code deployed last at its next step (docs/decisions.md,
        # "Running orders call the functions' aliases"), so each task's input and output stay compatible.
        function_arns = {
            placeholder: alias_arn(profile.logical_id)
            for placeholder, profile in WORKFLOW_SUBSTITUTIONS.items()
        }
        workflow_logs = logs.LogGroup(
            self,
            "OrderWorkflowLogs",
            # The vendedlogs prefix keeps CloudWatch Logs resource policies small for Step Functions.
            log_group_name=f"/aws/vendedlogs/states/{self.state_machine_name}",
            retention=RETENTION[self.config.log_retention_days],
            removal_policy=self.data_removal,
        )
        state_machine = sfn.StateMachine(
            self,
            "OrderWorkflow",
            state_machine_name=self.state_machine_name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_string(definition),
            definition_substitutions=function_arns,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=workflow_logs,
                level=sfn.LogLevel.ALL,
                # Execution data carries task tokens, which let anyone answer a decision: keep them out.
                include_execution_data=False,
            ),
        )
        state_machine.add_to_role_policy(
            iam.PolicyStatement(
                sid="InvokeWorkflowFunctions",
                actions=["lambda:InvokeFunction"],
                resources=[
                    alias_arn(profile.logical_id)
                    for profile in sorted(
                        {p.logical_id: p for p in WORKFLOW_SUBSTITUTIONS.values()}.values(),
                        key=lambda p: p.logical_id,
                    )
                ],
            )
        )
        _acknowledge_sam_references(state_machine.node.default_child)
        _acknowledge_sam_references(state_machine.role.node.find_child("DefaultPolicy").node.default_child)
        NagSuppressions.add_resource_suppressions(
            state_machine,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason="Step Functions log delivery (logs:CreateLogDelivery and friends) and X-Ray "
                    "tracing support only Resource '*'; CDK adds exactly those statements.",
                    applies_to=["Resource::*"],
                )
            ],
            apply_to_children=True,
        )
        return state_machine

    # --- outputs ----------------------------------------------------------------------------------

    def _outputs(self) -> None:
        if self.config.api_domain is not None:
            custom_domain = self.chalice.get_resource("ApiGatewayCustomDomain")
            CfnOutput(
                self,
                "ApiDomainTarget",
                description=f"Point {self.config.api_domain.domain_name} here (DNS alias or CNAME)",
                value=custom_domain.get_att("RegionalDomainName").to_string(),
            )
        CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=self.user_pool_client.user_pool_client_id)
        CfnOutput(self, "ApplicationTableName", value=self.table.table_name)
        CfnOutput(self, "IdempotencyTableName", value=self.idempotency_table.table_name)
        CfnOutput(self, "OrderWorkflowArn", value=self.state_machine.state_machine_arn)
        CfnOutput(self, "MailConfigurationSet", value=self.configuration_set.configuration_set_name)
        CfnOutput(self, "WorkflowDeadLetterQueueUrl", value=self.operations.dead_letters.queue_url)
        CfnOutput(self, "OutboxDeadLetterQueueUrl", value=self.outbox.dead_letters.queue_url)
        CfnOutput(self, "BookingEventsQueueUrl", value=self.bookings.queue.queue_url)
        CfnOutput(self, "BookingEventsDeadLetterQueueUrl", value=self.bookings.dead_letters.queue_url)
        CfnOutput(self, "InvoiceBucketName", value=self.bookings.invoices.bucket_name)
        CfnOutput(self, "IdentityKeySecretArn", value=self.bookings.identity_key.secret_arn)
        # Each partner's signing secret is this prefix and the partner's id (docs/deploy.md, "Partners").
        CfnOutput(self, "PartnerSecretPrefix", value=self.bookings.partner_secret_prefix)
        CfnOutput(self, "AlarmTopicArn", value=self.operations.alarm_topic.topic_arn)
        CfnOutput(self, "DashboardName", value=self.operations.dashboard.dashboard_name)
        CfnOutput(self, "ApiAccessLogGroup", value=self.api_logs.log_group_name)
        # Set once per account as SNS's DeliveryStatusIAMRole (docs/deploy.md, "Account-wide SMS settings").
        CfnOutput(self, "SmsDeliveryStatusRoleArn", value=self.operations.sms_delivery_status_role.role_arn)
        # Where the smoke test and people reach the stage (`make smoke`).
        CfnOutput(self, "PublicBaseUrl", value=self.config.public_base_url)
        if self.smoke_codes is not None:
            CfnOutput(self, "SmokeCodesQueueUrl", value=self.smoke_codes.queue_url)
        for number, record in enumerate(self.mail_identity.dkim_records, start=1):
            CfnOutput(
                self,
                f"DkimRecord{number}",
                description="CNAME to publish in DNS so SES can verify the domain and sign with DKIM",
                value=f"{record.name} CNAME {record.value}",
            )
        CfnOutput(
            self,
            "MailFromMxRecord",
            description="MX to publish for the custom MAIL FROM domain (SES receives bounces there)",
            value=f"{self.mail_from_domain} MX 10 feedback-smtp.{self.config.region}.amazonses.com",
        )
        CfnOutput(
            self,
            "MailFromSpfRecord",
            description="TXT to publish for the custom MAIL FROM domain",
            value=f'{self.mail_from_domain} TXT "v=spf1 include:amazonses.com ~all"',
        )


def _acknowledge_sam_references(resource: Any) -> None:
    """`Ref X.Alias` and `Ref RestAPI.Stage` are resolved by the SAM transform; CDK validates before it."""
    Validations.of(resource).acknowledge(
        Acknowledgment(
            id="CloudFormation-Validate::F1020",
            reason="X.Alias and RestAPI.Stage are references the SAM transform resolves; CDK checks the "
            "template before the transform, tests/infra after it.",
        )
    )
