"""The Chalice app's Lambda functions and what each may call (docs/architecture.md, "Lambda functions")."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import ArnFormat, Fn, Stack
from aws_cdk import aws_iam as iam
from cdk_nag import NagPackSuppression, NagSuppressions
from chalicelib.manifest import (
    APP_NAME,
    CLOSE_ORDER,
    CREATE_CASE,
    DELIVER_OUTBOX,
    HOLD_FOR_ORDERER,
    NOTIFY_OPERATIONS,
    PROCESS_BOOKING_EVENTS,
    RECONCILE_ORDERS,
    REQUEST_DECISION,
    Task,
)
from constructs import Construct

__all__ = [
    "ALIAS",
    "APP_NAME",
    "FUNCTIONS",
    "WORKFLOW_SUBSTITUTIONS",
    "FunctionProfile",
    "Grants",
    "alias_arn",
    "build_role",
]

# Every function publishes a version on each deploy that changes it and moves this alias to it (SAM's
# AutoPublishAlias); the state machine, the API and the event sources call the alias.
ALIAS = "live"


def alias_arn(logical_id: str) -> str:
    """The ARN of a packaged function's alias, as the SAM transform resolves `Ref <function>.Alias`."""
    return Fn.ref(f"{logical_id}.Alias")


@dataclass(frozen=True)
class FunctionProfile:
    """One function of the Chalice app and the AWS calls its code makes; its role allows exactly these."""

    logical_id: str  # the resource name in `chalice package` output, used with `Chalice.get_function`
    chalice_name: str
    description: str
    task: Task | None = None  # the workflow task this function is, if it is one
    uses_tables: bool = True
    uses_idempotency: bool = False
    sends_mail: bool = False
    sends_sms: bool = False
    starts_workflow: bool = False
    answers_workflow_tasks: bool = False
    reads_link_secret: bool = False
    relays_outbox: bool = False  # reads the table's stream and the retry queue, writes the outbox's queues
    reconciles_executions: bool = False  # reads, starts and stops executions of the order workflow
    manages_accounts: bool = False  # opens, changes and closes people's accounts in the stage's user pool
    opens_accounts: bool = False  # opens accounts and sets their groups only (an approved application's)
    reads_partner_secrets: bool = False  # checks partner events' signatures (Secrets Manager, by prefix)
    reads_identity_key: bool = False  # hashes identity numbers for lookup (R-BKG-3)
    stores_invoices: bool = False  # writes EHF invoices under ehf/ in the invoice bucket
    queues_booking_events: bool = False  # sends kept partner events to the booking events queue
    processes_booking_events: bool = False  # reads and deletes messages of the booking events queue

    def function_name(self, stage: str) -> str:
        return f"{APP_NAME}-{stage}-{self.chalice_name}"


API_HANDLER = FunctionProfile(
    logical_id="APIHandler",
    chalice_name="api_handler",
    description="every /api route and the pages",
    uses_idempotency=True,  # order submission with an Idempotency-Key
    sends_sms=True,  # one-time codes for attestation (R-ORD-4), sent while the attester waits
    manages_accounts=True,  # the directory's administrators open and close accounts (R-ONB-3)
    reads_partner_secrets=True,  # a partner event's signature is checked before it is kept (R-BKG-1)
    reads_identity_key=True,  # a client's identity number is kept only as its keyed hash (R-BKG-3)
)
AUTHORIZER = FunctionProfile(
    logical_id="Authorizer",
    chalice_name="authorizer",
    description="verifies the Cognito ID token against the pool's public JWKS",
    uses_tables=False,
)
REQUEST_DECISION_FUNCTION = FunctionProfile(
    logical_id="RequestDecision",
    chalice_name=REQUEST_DECISION.name,
    task=REQUEST_DECISION,
    description="opens a decision step and stages the mails to its assignees",
    reads_link_secret=True,  # the approval's key is the hash of a link made with it
)
CREATE_CASE_FUNCTION = FunctionProfile(
    logical_id="CreateCase",
    chalice_name=CREATE_CASE.name,
    task=CREATE_CASE,
    description="records the case and stages the mails to the agent or customer service",
)
CLOSE_ORDER_FUNCTION = FunctionProfile(
    logical_id="CloseOrder",
    chalice_name=CLOSE_ORDER.name,
    task=CLOSE_ORDER,
    description="ends a timed-out order and stages the mails that tell why",
)
NOTIFY_OPERATIONS_FUNCTION = FunctionProfile(
    logical_id="NotifyOperations",
    chalice_name=NOTIFY_OPERATIONS.name,
    task=NOTIFY_OPERATIONS,
    description="marks the order as needing attention and stages the mail to operations",
)
HOLD_FOR_ORDERER_FUNCTION = FunctionProfile(
    logical_id="HoldForOrderer",
    chalice_name=HOLD_FOR_ORDERER.name,
    task=HOLD_FOR_ORDERER,
    description="holds an order before its case until its orderer is approved (R-REQ-3)",
)
DELIVER_OUTBOX_FUNCTION = FunctionProfile(
    logical_id="DeliverOutbox",
    chalice_name=DELIVER_OUTBOX.name,
    description="delivers what changes staged: mails, workflow starts, answers to waiting decisions",
    sends_mail=True,
    starts_workflow=True,
    answers_workflow_tasks=True,
    reads_link_secret=True,  # makes the link of an approval request's mail and of a signatory's (R-ONB-1)
    relays_outbox=True,
    opens_accounts=True,  # an approved customer application's administrator and agreement contact (R-ONB-2)
    stores_invoices=True,  # an invoice staged by bookings, as the EHF document the access point sends
    queues_booking_events=True,  # a kept partner event, to be applied by process_booking_events
)
PROCESS_BOOKING_EVENTS_FUNCTION = FunctionProfile(
    logical_id="ProcessBookingEvents",
    chalice_name=PROCESS_BOOKING_EVENTS.name,
    description="applies the partner events the API kept, from the booking events queue (R-BKG-1)",
    processes_booking_events=True,
)

RECONCILE_ORDERS_FUNCTION = FunctionProfile(
    logical_id="ReconcileOrders",
    chalice_name=RECONCILE_ORDERS.name,
    description="every quarter of an hour, holds orders and their executions to each other",
    reconciles_executions=True,
)

FUNCTIONS: tuple[FunctionProfile, ...] = (
    API_HANDLER,
    AUTHORIZER,
    REQUEST_DECISION_FUNCTION,
    CREATE_CASE_FUNCTION,
    CLOSE_ORDER_FUNCTION,
    NOTIFY_OPERATIONS_FUNCTION,
    HOLD_FOR_ORDERER_FUNCTION,
    DELIVER_OUTBOX_FUNCTION,
    PROCESS_BOOKING_EVENTS_FUNCTION,
    RECONCILE_ORDERS_FUNCTION,
)
# The authorizer appears in `chalice package` output only once app.py declares `@app.authorizer()`;
# every other function is named by the state machine or serves the API and must exist.
OPTIONAL_FUNCTIONS = frozenset({AUTHORIZER.logical_id})

# Each ASL substitution and the function whose ARN fills it.
WORKFLOW_SUBSTITUTIONS: dict[str, FunctionProfile] = {
    profile.task.placeholder: profile for profile in FUNCTIONS if profile.task is not None
}

# chalicelib/adapters/dynamo/: get, batch get (a submit's reads), query, put, update, and transactions
# (authorised per item action).
TABLE_ITEM_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
]
# Powertools' DynamoDBPersistenceLayer reads, writes, updates and deletes idempotency records by key.
IDEMPOTENCY_ACTIONS = [
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
]
# chalicelib/adapters/mail.py sends with SES SendEmail only.
MAIL_ACTIONS = ["ses:SendEmail"]
# chalicelib/adapters/identity.py: the directory's admin calls on the stage's own user pool, no other.
ACCOUNT_ACTIONS = [
    "cognito-idp:AdminCreateUser",
    "cognito-idp:AdminUpdateUserAttributes",
    "cognito-idp:AdminAddUserToGroup",
    "cognito-idp:AdminRemoveUserFromGroup",
    "cognito-idp:AdminListGroupsForUser",
    "cognito-idp:AdminSetUserPassword",
    "cognito-idp:AdminUserGlobalSignOut",
    "cognito-idp:AdminDeleteUser",
]
# CognitoAccounts.create and its groups: what the relay needs to open an approved application's accounts.
ACCOUNT_OPENING_ACTIONS = [
    "cognito-idp:AdminCreateUser",
    "cognito-idp:AdminListGroupsForUser",
    "cognito-idp:AdminAddUserToGroup",
    "cognito-idp:AdminRemoveUserFromGroup",
]
# chalicelib/adapters/partners.py and secrets.py read secrets with GetSecretValue only (Powertools' provider).
SECRET_ACTIONS = ["secretsmanager:GetSecretValue"]
# An SQS event source mapping's own calls, made with the function's role.
QUEUE_CONSUMER_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
TASK_ANSWER_ACTIONS = ["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"]


@dataclass(frozen=True)
class Grants:
    """ARNs the roles are scoped to; all are known before the functions exist, so no cycle arises."""

    table_arn: str
    index_arns: list[str]
    idempotency_table_arn: str
    state_machine_arn: str
    executions_arn: str  # every execution of the state machine
    mail_identity_arns: list[str]
    configuration_set_arn: str
    sender_address: str
    link_secret_arn: str
    table_stream_arn: str
    outbox_queue_arns: list[str]  # the retry queue, then the dead-letter queue
    user_pool_arn: str
    identity_key_arn: str
    partner_secrets_arn: str  # every secret under the stage's partner prefix (<prefix>*)
    invoice_objects_arn: str  # ehf/* in the invoice bucket
    booking_events_queue_arn: str


def log_group_name(profile: FunctionProfile, stage: str) -> str:
    return f"/aws/lambda/{profile.function_name(stage)}"


def build_role(scope: Construct, profile: FunctionProfile, stage: str, grants: Grants) -> iam.Role:
    stack = Stack.of(scope)
    log_streams_arn = stack.format_arn(
        service="logs",
        resource="log-group",
        resource_name=f"{log_group_name(profile, stage)}:*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    statements = [
        iam.PolicyStatement(
            sid="WriteOwnLogs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_streams_arn],
        ),
        iam.PolicyStatement(
            sid="WriteTraces",
            actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            resources=["*"],
        ),
    ]
    # Actions IAM cannot scope to a resource; each adds its reason to the one Resource::* acknowledgement.
    unscoped_reasons = ["X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions"]

    if profile.uses_tables:
        statements += [
            iam.PolicyStatement(
                sid="ReadWriteApplicationTable",
                actions=TABLE_ITEM_ACTIONS,
                resources=[grants.table_arn],
            ),
            iam.PolicyStatement(
                sid="QueryApplicationIndexes",
                actions=["dynamodb:Query"],
                resources=grants.index_arns,
            ),
        ]
    if profile.uses_idempotency:
        statements.append(
            iam.PolicyStatement(
                sid="IdempotencyRecords",
                actions=IDEMPOTENCY_ACTIONS,
                resources=[grants.idempotency_table_arn],
            )
        )
    if profile.sends_mail:
        statements.append(
            iam.PolicyStatement(
                sid="SendMailAsSender",
                actions=MAIL_ACTIONS,
                resources=[*grants.mail_identity_arns, grants.configuration_set_arn],
                conditions={"StringEquals": {"ses:FromAddress": grants.sender_address}},
            )
        )
    if profile.sends_sms:
        statements.append(iam.PolicyStatement(sid="SendSms", actions=["sns:Publish"], resources=["*"]))
        unscoped_reasons.append(
            "sns:Publish straight to a phone number (one-time codes, R-ORD-4) has no resource ARN"
        )
    if profile.starts_workflow:
        statements.append(
            iam.PolicyStatement(
                sid="StartOrderWorkflow",
                actions=["states:StartExecution"],
                resources=[grants.state_machine_arn],
            )
        )
    if profile.reads_link_secret:
        statements.append(
            iam.PolicyStatement(
                sid="ReadLinkSecret",
                actions=["secretsmanager:GetSecretValue"],
                resources=[grants.link_secret_arn],
            )
        )
    if profile.relays_outbox:
        statements += [
            iam.PolicyStatement(
                sid="ReadTableStream",
                actions=[
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:ListStreams",
                ],
                resources=[grants.table_stream_arn],
            ),
            iam.PolicyStatement(
                sid="TryAgainLater", actions=["sqs:SendMessage"], resources=grants.outbox_queue_arns
            ),
            iam.PolicyStatement(
                sid="ReadRetryQueue",
                actions=["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                resources=grants.outbox_queue_arns[:1],
            ),
        ]
    if profile.reconciles_executions:
        statements += [
            iam.PolicyStatement(
                sid="ListAndStartOrderExecutions",
                actions=["states:ListExecutions", "states:StartExecution"],
                resources=[grants.state_machine_arn],
            ),
            iam.PolicyStatement(
                sid="ReadAndStopOrderExecutions",
                actions=["states:DescribeExecution", "states:StopExecution"],
                resources=[grants.executions_arn],
            ),
        ]
    if profile.manages_accounts:
        statements.append(
            iam.PolicyStatement(
                sid="ManageAccounts", actions=ACCOUNT_ACTIONS, resources=[grants.user_pool_arn]
            )
        )
    if profile.opens_accounts:
        statements.append(
            iam.PolicyStatement(
                sid="OpenAccounts", actions=ACCOUNT_OPENING_ACTIONS, resources=[grants.user_pool_arn]
            )
        )
    if profile.reads_identity_key:
        statements.append(
            iam.PolicyStatement(
                sid="ReadIdentityKey", actions=SECRET_ACTIONS, resources=[grants.identity_key_arn]
            )
        )
    if profile.reads_partner_secrets:
        statements.append(
            iam.PolicyStatement(
                sid="ReadPartnerSecrets", actions=SECRET_ACTIONS, resources=[grants.partner_secrets_arn]
            )
        )
    if profile.stores_invoices:
        statements.append(
            iam.PolicyStatement(
                sid="StoreInvoices", actions=["s3:PutObject"], resources=[grants.invoice_objects_arn]
            )
        )
    if profile.queues_booking_events:
        statements.append(
            iam.PolicyStatement(
                sid="QueueBookingEvents",
                actions=["sqs:SendMessage"],
                resources=[grants.booking_events_queue_arn],
            )
        )
    if profile.processes_booking_events:
        statements.append(
            iam.PolicyStatement(
                sid="ReadBookingEvents",
                actions=QUEUE_CONSUMER_ACTIONS,
                resources=[grants.booking_events_queue_arn],
            )
        )
    if profile.answers_workflow_tasks:
        statements.append(
            iam.PolicyStatement(sid="AnswerDecisionTasks", actions=TASK_ANSWER_ACTIONS, resources=["*"])
        )
        unscoped_reasons.append(
            "states:SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat act on a task token and support "
            "only Resource '*'"
        )

    acknowledged = [
        NagPackSuppression(
            id="AwsSolutions-IAM5",
            reason="Lambda names its log streams at run time; the grant is limited to the function's own "
            "log group (log-group:<name>:*).",
            applies_to=[{"regex": "/^Resource::.*:log-group:\\/aws\\/lambda\\/.*:\\*$/g"}],
        ),
        NagPackSuppression(
            id="AwsSolutions-IAM5",
            reason="Resource '*' where IAM allows nothing narrower: " + "; ".join(unscoped_reasons) + ".",
            applies_to=["Resource::*"],
        ),
    ]
    if profile.reconciles_executions:
        acknowledged.append(
            NagPackSuppression(
                id="AwsSolutions-IAM5",
                reason="Execution ARNs end in the execution's name, an order id known only at run time; the "
                "grant is limited to executions of the order workflow (execution:<state machine>:*).",
                applies_to=[{"regex": "/^Resource::.*:states:.*:execution:.*-order-workflow:\\*$/g"}],
            )
        )
    if profile.reads_partner_secrets:
        acknowledged.append(
            NagPackSuppression(
                id="AwsSolutions-IAM5",
                reason="Each partner's signing secret is <prefix><partner id>, made by an operator when a "
                "partner joins (docs/deploy.md); the grant is GetSecretValue on that prefix only, and a "
                "secret's ARN ends in a suffix Secrets Manager picks.",
                applies_to=[
                    {"regex": "/^Resource::.*:secretsmanager:.*:secret:service-orders-.*\\/partners\\/\\*$/g"}
                ],
            )
        )
    if profile.stores_invoices:
        acknowledged.append(
            NagPackSuppression(
                id="AwsSolutions-IAM5",
                reason="An invoice's key holds the seller's organisation number and the invoice number, "
                "known only when it is made; the grant is s3:PutObject under ehf/ in the stage's invoice "
                "bucket.",
                applies_to=[{"regex": "/^Resource::.*\\/ehf\\/\\*$/g"}],
            )
        )
    role = iam.Role(
        scope,
        f"{profile.logical_id}Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"{profile.function_name(stage)}: {profile.description}",
        inline_policies={"Calls": iam.PolicyDocument(statements=statements)},
    )
    acknowledged.append(
        NagPackSuppression(
            id="Serverless-LambdaStarPermissions",
            reason="The only wildcards are the function's own log streams and the actions IAM cannot scope ("
            + "; ".join(unscoped_reasons)
            + "), each acknowledged under AwsSolutions-IAM5 with what it covers.",
        )
    )
    NagSuppressions.add_resource_suppressions(role, acknowledged)
    return role
