"""What operations watch: alarms to the alarm e-mail, the workflow's dead letters, and the dashboard."""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from .environment import EnvironmentConfig
from .functions import APP_NAME

# Custom metrics the application emits through Powertools Metrics (EMF), one dimension service=service-orders.
ORDER_METRICS_NAMESPACE = "ServiceOrders"
ORDER_METRICS = {
    "OrdersSubmitted": "submitted",
    "DecisionsRecorded": "decided",
    "OrdersCompleted": "completed",
    "OrdersNeedingAttention": "stuck (needs attention)",
    "OrdersRepaired": "repaired by reconciliation",
}
# Terminal statuses in which the workflow gave up on an order; each lands in the dead-letter queue.
GAVE_UP_STATUSES = ["FAILED", "TIMED_OUT", "ABORTED"]
FIVE_MINUTES = Duration.minutes(5)


AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD


class Operations(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        state_machine: sfn.StateMachine,
        function_names: dict[str, str],
        configuration_set_name: str,
        outbox_dead_letters: sqs.IQueue,
        booking_dead_letters: sqs.IQueue,
        table: dynamodb.ITable,
        api_name: str,
        api_stage: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.prefix = f"{APP_NAME}-{config.stage}"
        self.alarms: list[cloudwatch.Alarm] = []
        # The alarms CodeDeploy watches while a new API version takes traffic; any of them moves the alias
        # back.
        self.rollback_alarms: list[cloudwatch.Alarm] = []
        self.api_dimensions = {"ApiName": api_name, "Stage": api_stage}

        self.alarm_topic = self._alarm_topic()
        self.dead_letters = self._dead_letters(state_machine)
        self._alarm(
            "OrdersRepaired",
            name="orders-repaired",
            description="The reconciliation found an order without its execution (started it, or handed it "
            "to operations) or an execution without its order (stopped it): something upstream lost work.",
            metric=cloudwatch.Metric(
                namespace=ORDER_METRICS_NAMESPACE,
                metric_name="OrdersRepaired",
                dimensions_map={"service": APP_NAME},
                statistic="Sum",
                period=Duration.minutes(15),
            ),
            threshold=1,
        )
        self._alarm(
            "OrdersWaitingTooLong",
            name="orders-waiting-too-long",
            description=f"An order's execution runs, but no step has moved it for {config.stuck_after_hours} "
            "hours (counted by the reconciliation; the orders are on operations' list).",
            metric=cloudwatch.Metric(
                namespace=ORDER_METRICS_NAMESPACE,
                metric_name="OrdersWaitingTooLong",
                dimensions_map={"service": APP_NAME},
                statistic="Maximum",
                period=Duration.hours(1),
            ),
            threshold=1,
        )
        self.outbox_dead_letters = outbox_dead_letters
        self._alarm(
            "OutboxDeadLettersWaiting",
            name="outbox-dead-letters",
            description="A mail, a workflow start or an answer to a decision could not be delivered after "
            "its last attempt; it waits in the outbox's dead-letter queue.",
            metric=outbox_dead_letters.metric_approximate_number_of_messages_visible(
                period=FIVE_MINUTES, statistic="Maximum"
            ),
            threshold=1,
        )
        self.booking_dead_letters = booking_dead_letters
        self._booking_alarms(booking_dead_letters)
        self._workflow_alarms(state_machine)
        self._function_alarms(function_names)
        self._api_alarms(function_names)
        self._table_alarms(table)
        self._mail_and_sms_alarms()
        self.sms_delivery_status_role = self._sms_delivery_status_role()
        self.dashboard = self._dashboard(state_machine, function_names, configuration_set_name)

    # --- alarm delivery ---------------------------------------------------------------------------

    def _alarm_topic(self) -> sns.Topic:
        # CloudWatch cannot publish to a topic under the AWS-managed SNS key, so the topic has its own key.
        key = kms.Key(
            self,
            "AlarmTopicKey",
            description=f"{self.prefix}: encrypts alarm notifications",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        topic = sns.Topic(
            self,
            "AlarmTopic",
            topic_name=f"{self.prefix}-alarms",
            display_name=f"Service orders {self.config.stage} alarms",
            master_key=key,
            enforce_ssl=True,
        )
        topic.add_subscription(subscriptions.EmailSubscription(self.config.alarm_email))
        NagSuppressions.add_resource_suppressions(
            topic,
            [
                NagPackSuppression(
                    id="Serverless-SNSRedrivePolicy",
                    reason="Alarm notifications are retried by SNS; an alarm that stays in ALARM is seen on "
                    "the dashboard and by every other subscriber, so a dead-letter queue nobody reads adds "
                    "nothing.",
                )
            ],
            apply_to_children=True,
        )
        # Paging services (PagerDuty, Opsgenie, incident.io ...) take SNS over HTTPS; each confirms its
        # endpoint.
        for endpoint in self.config.alarm_https_endpoints:
            topic.add_subscription(
                subscriptions.UrlSubscription(endpoint, protocol=sns.SubscriptionProtocol.HTTPS)
            )
        if self.config.alarm_slack is not None:
            channel = chatbot.SlackChannelConfiguration(
                self,
                "AlarmChannel",
                slack_channel_configuration_name=f"{self.prefix}-alarms",
                slack_workspace_id=self.config.alarm_slack.workspace_id,
                slack_channel_id=self.config.alarm_slack.channel_id,
                notification_topics=[topic],
                logging_level=chatbot.LoggingLevel.ERROR,
            )
            # The channel only reads: nobody changes the stage from chat.
            channel.add_to_role_policy(
                iam.PolicyStatement(sid="ReadAlarms", actions=["cloudwatch:DescribeAlarms"], resources=["*"])
            )
            NagSuppressions.add_resource_suppressions(
                channel,
                [
                    NagPackSuppression(
                        id="AwsSolutions-IAM5",
                        reason="cloudwatch:DescribeAlarms, all the chat channel may do, has no "
                        "resource-level permission.",
                        applies_to=["Resource::*"],
                    )
                ],
                apply_to_children=True,
            )
        return topic

    def _alarm(
        self,
        construct_id: str,
        *,
        name: str,
        description: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        evaluation_periods: int = 1,
        comparison: cloudwatch.ComparisonOperator = AT_LEAST,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_name=f"{self.prefix}-{name}",
            alarm_description=f"{description} Runbook: docs/deploy.md.",
            metric=metric,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            comparison_operator=comparison,
            # No data means nothing happened, which for these counters is the healthy case.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.alarm_topic))
        self.alarms.append(alarm)
        return alarm

    # --- bookings -----------------------------------------------------------------------------------

    def _booking_alarms(self, dead_letters: sqs.IQueue) -> None:
        """Partner events (R-BKG-1): kept by the API, applied from the queue by process_booking_events."""
        self._alarm(
            "BookingEventDeadLettersWaiting",
            name="booking-event-dead-letters",
            description="A partner event failed five times and waits in the booking events' dead-letter "
            "queue; it is kept in the table and is applied again once redriven.",
            metric=dead_letters.metric_approximate_number_of_messages_visible(
                period=FIVE_MINUTES, statistic="Maximum"
            ),
            threshold=1,
        )
        self._alarm(
            "PartnerEventFailures",
            name="partner-event-failures",
            description="Applying partner events failed (the queue offers each again, up to five times).",
            metric=cloudwatch.Metric(
                namespace=ORDER_METRICS_NAMESPACE,
                metric_name="PartnerEventFailures",
                dimensions_map={"service": APP_NAME},
                statistic="Sum",
                period=FIVE_MINUTES,
            ),
            # One failure is retried at once; several in five minutes means the events keep failing.
            threshold=3,
        )
        self._alarm(
            "PartnerEventsParked",
            name="partner-events-parked",
            description="A partner event was parked: it names a practitioner, case or booking the product "
            "does not know, or lacks a part its type needs; operations were mailed about it.",
            metric=cloudwatch.Metric(
                namespace=ORDER_METRICS_NAMESPACE,
                metric_name="PartnerEventsParked",
                dimensions_map={"service": APP_NAME},
                statistic="Sum",
                period=Duration.hours(1),
            ),
            threshold=1,
        )

    # --- the workflow -----------------------------------------------------------------------------

    def _dead_letters(self, state_machine: sfn.StateMachine) -> sqs.Queue:
        queue = sqs.Queue(
            self,
            "WorkflowDeadLetters",
            queue_name=f"{self.prefix}-workflow-dead-letters",
            retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
        )
        NagSuppressions.add_resource_suppressions(
            queue,
            [
                NagPackSuppression(
                    id=rule,
                    reason="This queue is itself the dead-letter path: it keeps the status-change events of "
                    "executions the workflow gave up on until operations have handled them.",
                )
                for rule in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy")
            ],
        )
        gave_up = events.Rule(
            self,
            "WorkflowGaveUp",
            rule_name=f"{self.prefix}-workflow-gave-up",
            description="Executions of the order workflow that failed, timed out or were aborted",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={"status": GAVE_UP_STATUSES, "stateMachineArn": [state_machine.state_machine_arn]},
            ),
            targets=[targets.SqsQueue(queue)],
        )
        NagSuppressions.add_resource_suppressions(
            gave_up,
            [
                NagPackSuppression(
                    id="Serverless-EventBusDLQ",
                    reason="The target is itself the dead-letter queue; the same ends are also found by the "
                    "reconciliation every 15 minutes and alarmed by ExecutionsFailed/TimedOut/Aborted.",
                )
            ],
        )
        self._alarm(
            "DeadLettersWaiting",
            name="workflow-dead-letters",
            description="An order's workflow gave up; its event waits in the dead-letter queue.",
            metric=queue.metric_approximate_number_of_messages_visible(
                period=FIVE_MINUTES, statistic="Maximum"
            ),
            threshold=1,
        )
        return queue

    def _workflow_alarms(self, state_machine: sfn.StateMachine) -> None:
        for construct_id, name, metric, what in (
            ("WorkflowFailed", "workflow-failed", state_machine.metric_failed, "failed"),
            ("WorkflowTimedOut", "workflow-timed-out", state_machine.metric_timed_out, "timed out"),
            ("WorkflowAborted", "workflow-aborted", state_machine.metric_aborted, "was aborted"),
        ):
            self._alarm(
                construct_id,
                name=name,
                description=f"An order workflow execution {what}.",
                metric=metric(period=FIVE_MINUTES, statistic="Sum"),
                threshold=1,
            )

    # --- functions --------------------------------------------------------------------------------

    @staticmethod
    def _lambda_metric(function_name: str, metric_name: str, statistic: str = "Sum") -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/Lambda",
            metric_name=metric_name,
            dimensions_map={"FunctionName": function_name},
            statistic=statistic,
            period=FIVE_MINUTES,
        )

    def _function_alarms(self, function_names: dict[str, str]) -> None:
        for logical_id, function_name in function_names.items():
            for metric_name in ("Errors", "Throttles"):
                alarm = self._alarm(
                    f"{logical_id}{metric_name}",
                    name=f"{function_name.removeprefix(self.prefix + '-')}-{metric_name.lower()}",
                    description=f"Lambda {function_name} reports {metric_name.lower()}.",
                    metric=self._lambda_metric(function_name, metric_name),
                    threshold=1,
                )
                if logical_id == "APIHandler" and metric_name == "Errors":
                    self.rollback_alarms.append(alarm)

    # --- the API ----------------------------------------------------------------------------------

    def api_metric(self, metric_name: str, statistic: str, label: str | None = None) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace="AWS/ApiGateway",
            metric_name=metric_name,
            dimensions_map=self.api_dimensions,
            statistic=statistic,
            period=FIVE_MINUTES,
            label=label,
        )

    def _api_alarms(self, function_names: dict[str, str]) -> None:
        threshold = self.config.api_5xx_rate_alarm_threshold
        self.rollback_alarms.append(
            self._alarm(
                "Api5xx",
                name="api-5xx",
                description=f"More than {threshold:.0%} of the API's answers in five minutes were 5xx.",
                # The average of 5XXError (0 or 1 per request) is the share of requests that failed.
                metric=self.api_metric("5XXError", "Average"),
                threshold=threshold,
                evaluation_periods=2,
            )
        )
        self.rollback_alarms.append(
            self._alarm(
                "ApiLatency",
                name="api-latency-p99",
                description=f"The API's p99 latency exceeded {self.config.api_latency_p99_alarm_ms} ms.",
                metric=self.api_metric("Latency", "p99"),
                threshold=self.config.api_latency_p99_alarm_ms,
                evaluation_periods=3,
            )
        )

    # --- the table --------------------------------------------------------------------------------

    def _table_alarms(self, table: dynamodb.ITable) -> None:
        throttles = cloudwatch.MathExpression(
            expression="reads + writes",
            using_metrics={
                "reads": table.metric("ReadThrottleEvents", statistic="Sum", period=FIVE_MINUTES),
                "writes": table.metric("WriteThrottleEvents", statistic="Sum", period=FIVE_MINUTES),
            },
            label="throttled requests",
            period=FIVE_MINUTES,
        )
        self._alarm(
            "TableThrottles",
            name="table-throttles",
            description="DynamoDB throttled reads or writes of the application table (on-demand: a sudden "
            "surge, or a hot partition).",
            metric=throttles,
            threshold=1,
        )
        self._alarm(
            "TableSystemErrors",
            name="table-system-errors",
            description="DynamoDB answered requests on the application table with errors of its own "
            "(HTTP 500).",
            metric=table.metric_system_errors_for_operations(
                operations=[
                    dynamodb.Operation.GET_ITEM,
                    dynamodb.Operation.PUT_ITEM,
                    dynamodb.Operation.UPDATE_ITEM,
                    dynamodb.Operation.DELETE_ITEM,
                    dynamodb.Operation.QUERY,
                    dynamodb.Operation.TRANSACT_WRITE_ITEMS,
                ],
                period=FIVE_MINUTES,
            ),
            threshold=1,
        )

    # --- mail and SMS -----------------------------------------------------------------------------

    def _mail_and_sms_alarms(self) -> None:
        # Account-level reputation: SES reviews, then pauses, sending at about 5 % bounces / 0.1 % complaints.
        for construct_id, name, metric_name, threshold in (
            (
                "MailBounceRate",
                "mail-bounce-rate",
                "Reputation.BounceRate",
                self.config.bounce_rate_alarm_threshold,
            ),
            (
                "MailComplaintRate",
                "mail-complaint-rate",
                "Reputation.ComplaintRate",
                self.config.complaint_rate_alarm_threshold,
            ),
        ):
            self._alarm(
                construct_id,
                name=name,
                description=f"SES {metric_name} reached {threshold:g}; SES may pause sending.",
                metric=cloudwatch.Metric(
                    namespace="AWS/SES",
                    metric_name=metric_name,
                    statistic="Maximum",
                    period=Duration.minutes(15),
                ),
                threshold=threshold,
            )
        spend_warning = round(self.config.sms_monthly_spend_limit_usd * 0.8, 2)
        self._alarm(
            "SmsSpend",
            name="sms-spend",
            description=f"SMS spend this month reached {spend_warning} USD, 80 % of the account's limit; "
            "one-time codes stop when the limit is hit.",
            metric=cloudwatch.Metric(
                namespace="AWS/SNS",
                metric_name="SMSMonthToDateSpentUSD",
                statistic="Maximum",
                period=Duration.hours(1),
            ),
            threshold=spend_warning,
        )
        self._alarm(
            "SmsDelivery",
            name="sms-delivery",
            description=f"Less than {self.config.sms_success_rate_alarm_threshold:.0%} of the SMS sent in an "
            "hour were delivered: one-time codes are not reaching attesters.",
            metric=cloudwatch.Metric(
                namespace="AWS/SNS",
                metric_name="SMSSuccessRate",
                statistic="Average",
                period=Duration.hours(1),
            ),
            threshold=self.config.sms_success_rate_alarm_threshold,
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        )

    def _sms_delivery_status_role(self) -> iam.Role:
        """SNS logs each SMS's delivery (and feeds SMSSuccessRate) only with a role named in the account's SMS
        attributes (`DeliveryStatusIAMRole`), which docs/deploy.md sets once per account."""
        role = iam.Role(
            self,
            "SmsDeliveryStatusRole",
            assumed_by=iam.ServicePrincipal("sns.amazonaws.com"),
            description=f"{self.prefix}: SNS logs the delivery of each SMS",
            inline_policies={
                "WriteDeliveryLogs": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            sid="SmsDeliveryLogGroups",
                            actions=[
                                "logs:CreateLogGroup",
                                "logs:CreateLogStream",
                                "logs:PutLogEvents",
                                "logs:PutRetentionPolicy",
                            ],
                            resources=[
                                Stack.of(self).format_arn(
                                    service="logs",
                                    resource="log-group",
                                    resource_name="sns/*",
                                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                                )
                            ],
                        )
                    ]
                )
            },
        )
        NagSuppressions.add_resource_suppressions(
            role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason="SNS names its SMS delivery log groups itself (sns/<region>/<account>/"
                    "DirectPublishToPhoneNumber[/Failure]); the grant covers only groups under sns/.",
                    applies_to=[{"regex": "/^Resource::.*:log-group:sns\\/\\*$/g"}],
                )
            ],
        )
        return role

    # --- dashboard --------------------------------------------------------------------------------

    def _dashboard(
        self, state_machine: sfn.StateMachine, function_names: dict[str, str], configuration_set_name: str
    ) -> cloudwatch.Dashboard:
        def order_metric(metric_name: str, period: Duration) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace=ORDER_METRICS_NAMESPACE,
                metric_name=metric_name,
                dimensions_map={"service": APP_NAME},
                statistic="Sum",
                period=period,
                label=ORDER_METRICS[metric_name],
            )

        def mail_metric(metric_name: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/SES",
                metric_name=metric_name,
                dimensions_map={"ses:configuration-set": configuration_set_name},
                statistic="Sum",
                period=Duration.hours(1),
            )

        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=self.prefix)
        dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=f"# Service orders ({self.config.stage})\n"
                "Orders submitted, decided, completed and stuck; what the workflow gave up on; "
                "function health; mail reputation. How to act on each: docs/deploy.md, "
                "*Reading the dashboard*.",
                width=24,
                height=2,
            )
        )
        dashboard.add_widgets(
            cloudwatch.SingleValueWidget(
                title="Orders, whole time range",
                metrics=[order_metric(name, Duration.days(1)) for name in ORDER_METRICS],
                set_period_to_time_range=True,
                width=24,
                height=4,
            )
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Orders per hour",
                left=[order_metric(name, Duration.hours(1)) for name in ORDER_METRICS],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Stuck: needs attention, gave up, dead letters",
                left=[
                    order_metric("OrdersNeedingAttention", FIVE_MINUTES),
                    cloudwatch.Metric(
                        namespace=ORDER_METRICS_NAMESPACE,
                        metric_name="OrdersWaitingTooLong",
                        dimensions_map={"service": APP_NAME},
                        statistic="Maximum",
                        period=FIVE_MINUTES,
                        label=f"waiting longer than {self.config.stuck_after_hours} h",
                    ),
                    state_machine.metric_failed(period=FIVE_MINUTES, label="workflow failed"),
                    state_machine.metric_timed_out(period=FIVE_MINUTES, label="workflow timed out"),
                    state_machine.metric_aborted(period=FIVE_MINUTES, label="workflow aborted"),
                ],
                right=[
                    self.dead_letters.metric_approximate_number_of_messages_visible(
                        period=FIVE_MINUTES, statistic="Maximum", label="dead letters waiting"
                    ),
                    self.outbox_dead_letters.metric_approximate_number_of_messages_visible(
                        period=FIVE_MINUTES, statistic="Maximum", label="outbox dead letters waiting"
                    ),
                    self.booking_dead_letters.metric_approximate_number_of_messages_visible(
                        period=FIVE_MINUTES, statistic="Maximum", label="booking event dead letters waiting"
                    ),
                ],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Workflow executions",
                left=[
                    state_machine.metric_started(period=FIVE_MINUTES, label="started"),
                    state_machine.metric_succeeded(period=FIVE_MINUTES, label="succeeded"),
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Function errors and throttles",
                left=[
                    self._lambda_metric(name, "Errors").with_(label=f"{logical_id} errors")
                    for logical_id, name in function_names.items()
                ],
                right=[
                    self._lambda_metric(name, "Throttles").with_(label=f"{logical_id} throttles")
                    for logical_id, name in function_names.items()
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Function duration p95 (ms)",
                left=[
                    self._lambda_metric(name, "Duration", statistic="p95").with_(label=logical_id)
                    for logical_id, name in function_names.items()
                ],
                width=8,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Mail of this stage",
                left=[mail_metric(name) for name in ("Send", "Delivery", "Bounce", "Complaint", "Reject")],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Account mail reputation",
                left=[
                    cloudwatch.Metric(
                        namespace="AWS/SES", metric_name=name, statistic="Maximum", period=Duration.hours(1)
                    )
                    for name in ("Reputation.BounceRate", "Reputation.ComplaintRate")
                ],
                width=12,
            ),
        )
        dashboard.add_widgets(cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24))
        return dashboard
