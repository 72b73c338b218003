"""The outbox's delivery on AWS: the table's stream and a retry queue feed the relay function; what still
fails after its last attempt waits in a dead-letter queue (alarmed in operations.py). Also the secret that
approval links are made with. chalicelib/adapters/outbox_feed.py is the code side of this."""

from __future__ import annotations

import json

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from cdk_nag import NagPackSuppression, NagSuppressions
from chalicelib.adapters.dynamo.notifications import OUTBOX_PREFIX
from constructs import Construct

# The relay's own limits: one delivery takes well under a second; a batch of ten, a few seconds.
STREAM_BATCH_SIZE = 10
QUEUE_BATCH_SIZE = 10
# Stream records a batch keeps being retried before it is set aside; each retry comes at once, so the delays
# are the retry queue's (chalicelib/adapters/outbox_feed.py), not these.
STREAM_RETRY_ATTEMPTS = 10
# A safety net only: the relay moves a failed message on itself. Should requeueing fail too, the queue offers
# the message again this many times before it goes to the dead letters.
QUEUE_RECEIVES_BEFORE_DEAD_LETTERS = 5


class Outbox(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, prefix: str, data_removal: RemovalPolicy
    ) -> None:
        super().__init__(scope, construct_id)
        self.link_secret = secretsmanager.Secret(
            self,
            "LinkSecret",
            secret_name=f"{prefix}-link-secret",
            description="Approval links are made with it (HMAC); the table holds their seeds and hashes.",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=48, exclude_punctuation=True
            ),
            removal_policy=data_removal,
        )
        NagSuppressions.add_resource_suppressions(
            self.link_secret,
            [
                NagPackSuppression(
                    id="AwsSolutions-SMG4",
                    reason="Not rotated: a link is made again from this secret when its mail is sent, so a "
                    "rotation would break the links of mails still waiting in the outbox. Links expire with "
                    "their step; a leaked secret is replaced by hand as docs/deploy.md describes.",
                )
            ],
        )
        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            queue_name=f"{prefix}-outbox-dead-letters",
            retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        NagSuppressions.add_resource_suppressions(
            self.dead_letters,
            [
                NagPackSuppression(
                    id=rule,
                    reason="This queue is itself the dead-letter path: messages the relay gave up on wait "
                    "here for operations (an alarm watches it).",
                )
                for rule in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy")
            ],
        )
        self.retries = sqs.Queue(
            self,
            "Retries",
            queue_name=f"{prefix}-outbox-retries",
            retention_period=Duration.days(4),
            # Six times the relay's timeout, as AWS advises for a queue feeding a function.
            visibility_timeout=Duration.minutes(3),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letters, max_receive_count=QUEUE_RECEIVES_BEFORE_DEAD_LETTERS
            ),
        )

    @property
    def queue_arns(self) -> list[str]:
        return [self.retries.queue_arn, self.dead_letters.queue_arn]

    def feed(self, relay: lambda_.IFunction, table: dynamodb.ITable, *, alias_arn: str) -> None:
        """Connects the stream and the retry queue to the relay's alias (its role's grants are in
        functions.py): a record is delivered by the version deployed last, like every other call of a
        function."""
        # CloudFormation's own resource: CDK's on-failure helper would grant to the function's role, which the
        # Chalice function (imported) does not expose; functions.py grants it instead.
        from_stream = lambda_.CfnEventSourceMapping(
            self,
            "FromTableStream",
            function_name=alias_arn,
            event_source_arn=table.table_stream_arn,
            starting_position="TRIM_HORIZON",
            batch_size=STREAM_BATCH_SIZE,
            function_response_types=["ReportBatchItemFailures"],
            maximum_retry_attempts=STREAM_RETRY_ATTEMPTS,
            maximum_record_age_in_seconds=int(Duration.days(1).to_seconds()),
            destination_config=lambda_.CfnEventSourceMapping.DestinationConfigProperty(
                on_failure=lambda_.CfnEventSourceMapping.OnFailureProperty(
                    destination=self.dead_letters.queue_arn
                )
            ),
            filter_criteria=lambda_.CfnEventSourceMapping.FilterCriteriaProperty(
                filters=[
                    lambda_.CfnEventSourceMapping.FilterProperty(
                        pattern=json.dumps(
                            {
                                "eventName": ["INSERT"],
                                "dynamodb": {"Keys": {"pk": {"S": [{"prefix": OUTBOX_PREFIX}]}}},
                            }
                        )
                    )
                ]
            ),
        )
        from_queue = lambda_.EventSourceMapping(
            self,
            "FromRetryQueue",
            target=relay,
            event_source_arn=self.retries.queue_arn,
            batch_size=QUEUE_BATCH_SIZE,
            report_batch_item_failures=True,
        )
        NagSuppressions.add_resource_suppressions(
            from_queue,
            [
                NagPackSuppression(
                    id="Serverless-LambdaEventSourceMappingDestination",
                    reason="A message the relay cannot deliver is moved on by the queue's own redrive policy "
                    "to the outbox's dead-letter queue (alarmed); SQS sources take no on-failure "
                    "destination.",
                )
            ],
            apply_to_children=True,
        )
        queue_mapping = from_queue.node.default_child
        if not isinstance(queue_mapping, lambda_.CfnEventSourceMapping):
            raise TypeError("the queue mapping has no CloudFormation resource to point at the alias")
        queue_mapping.function_name = alias_arn
        for mapping in (from_stream, queue_mapping):
            Validations.of(mapping).acknowledge(
                Acknowledgment(
                    id="CloudFormation-Validate::F1020",
                    reason="DeliverOutbox.Alias is a reference the SAM transform resolves; CDK checks the "
                    "template before the transform, tests/infra after it.",
                )
            )
