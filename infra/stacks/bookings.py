"""Bookings on AWS (docs/bookings.md): the queue partner events are applied from, with its dead letters;
the key identity numbers are hashed with; the partners' secrets' prefix; and the bucket the EHF invoices are
kept in. chalicelib/adapters/partners.py, secrets.py and documents.py are the code side of this."""

from __future__ import annotations

from aws_cdk import Acknowledgment, ArnFormat, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

# Receptions of an event before the queue sets it aside; the local product's queue has the same redrive policy
# (local/embedded_aws.py, BOOKING_EVENT_ATTEMPTS).
BOOKING_EVENT_RECEIVES_BEFORE_DEAD_LETTERS = 5
# One event is a few reads and one transaction; ten take well under the function's timeout.
BOOKING_EVENTS_BATCH_SIZE = 10
# Where the relay writes invoices in the bucket (chalicelib/bookings/invoices.py, Invoice.document_key).
INVOICE_PREFIX = "ehf/"


class Bookings(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        data_removal: RemovalPolicy,
        invoice_retention_days: int,
        invoice_retention_compliance: bool,
        function_timeout_seconds: int,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.identity_key = secretsmanager.Secret(
            self,
            "IdentityKey",
            secret_name=f"{prefix}-identity-key",
            description="Clients' identity numbers are kept only as their HMAC under this key (R-BKG-3).",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=48, exclude_punctuation=True
            ),
            removal_policy=data_removal,
        )
        NagSuppressions.add_resource_suppressions(
            self.identity_key,
            [
                NagPackSuppression(
                    id="AwsSolutions-SMG4",
                    reason="Not rotated: the table finds clients by the hash of their identity number under "
                    "this key, so a new key would find none of them. docs/deploy.md says how a leaked key is "
                    "replaced (every stored hash made again).",
                )
            ],
        )
        # Each partner's signing secret is <prefix><partner id>, made by an operator (docs/deploy.md).
        self.partner_secret_prefix = f"{prefix}/partners/"
        self.partner_secrets_arn = stack.format_arn(
            service="secretsmanager",
            resource="secret",
            resource_name=f"{self.partner_secret_prefix}*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            queue_name=f"{prefix}-booking-events-dead-letters",
            retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        NagSuppressions.add_resource_suppressions(
            self.dead_letters,
            [
                NagPackSuppression(
                    id=rule,
                    reason="This queue is itself the dead-letter path: partner events that failed five times "
                    "wait here for operations (an alarm watches it); each is also kept in the table.",
                )
                for rule in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy")
            ],
        )
        self.queue = sqs.Queue(
            self,
            "Events",
            queue_name=f"{prefix}-booking-events",
            retention_period=Duration.days(4),
            # Six times the function's timeout, as AWS advises for a queue feeding a function.
            visibility_timeout=Duration.seconds(6 * function_timeout_seconds),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letters, max_receive_count=BOOKING_EVENT_RECEIVES_BEFORE_DEAD_LETTERS
            ),
        )
        self.invoices = self._invoice_bucket(
            prefix, stack.account, invoice_retention_days, invoice_retention_compliance
        )

    def _invoice_bucket(self, prefix: str, account: str, retention_days: int, compliance: bool) -> s3.Bucket:
        """The EHF invoices as sent, kept unchanged for the bookkeeping period (docs/decisions.md, "EHF
        invoices kept under Object Lock"): nobody deletes or overwrites one before it ends."""
        retention = Duration.days(retention_days)
        access_logs = s3.Bucket(
            self,
            "InvoiceAccessLogs",
            bucket_name=f"{prefix}-invoice-access-logs-{account}",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            # S3's log delivery writes with the LogDeliveryWrite ACL: the writer must own its objects.
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="KeptAsLongAsTheInvoices",
                    expiration=retention,
                    noncurrent_version_expiration=Duration.days(1),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        NagSuppressions.add_resource_suppressions(
            access_logs,
            [
                NagPackSuppression(
                    id="AwsSolutions-S1",
                    reason="This bucket holds the invoice bucket's server access logs; logging its own "
                    "access would need a third bucket, and so on.",
                )
            ],
        )
        lock = (
            s3.ObjectLockRetention.compliance(retention)
            if compliance
            else s3.ObjectLockRetention.governance(retention)
        )
        bucket = s3.Bucket(
            self,
            "Invoices",
            bucket_name=f"{prefix}-invoices-{account}",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            object_lock_enabled=True,
            object_lock_default_retention=lock,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="invoices/",
            lifecycle_rules=[
                # Gone once the bookkeeping period ends: an invoice names a client, so it is not kept longer.
                s3.LifecycleRule(
                    id="EndOfBookkeepingPeriod",
                    expiration=Duration.days(retention_days + 1),
                    noncurrent_version_expiration=Duration.days(1),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
                s3.LifecycleRule(id="NoEmptyDeleteMarkers", expired_object_delete_marker=True),
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        return bucket

    @property
    def invoice_objects_arn(self) -> str:
        return self.invoices.arn_for_objects(f"{INVOICE_PREFIX}*")

    def feed(self, processor: lambda_.IFunction, *, alias_arn: str) -> None:
        """Connects the queue to the processing function's alias (its role's grants are in functions.py)."""
        mapping = lambda_.EventSourceMapping(
            self,
            "ToProcessor",
            target=processor,
            event_source_arn=self.queue.queue_arn,
            batch_size=BOOKING_EVENTS_BATCH_SIZE,
            report_batch_item_failures=True,
        )
        NagSuppressions.add_resource_suppressions(
            mapping,
            [
                NagPackSuppression(
                    id="Serverless-LambdaEventSourceMappingDestination",
                    reason="An event that keeps failing is moved by the queue's own redrive policy to the "
                    "booking events' dead-letter queue (alarmed); SQS sources take no on-failure "
                    "destination.",
                )
            ],
            apply_to_children=True,
        )
        cfn_mapping = mapping.node.default_child
        if not isinstance(cfn_mapping, lambda_.CfnEventSourceMapping):
            raise TypeError("the event source mapping has no CloudFormation resource to point at the alias")
        cfn_mapping.function_name = alias_arn
        Validations.of(cfn_mapping).acknowledge(
            Acknowledgment(
                id="CloudFormation-Validate::F1020",
                reason="ProcessBookingEvents.Alias is a reference the SAM transform resolves; CDK checks the "
                "template before the transform, tests/infra after it.",
            )
        )
