"""Bookings on each stage (docs/bookings.md): the booking events queue and its function, the partners' and
the identity key's secrets, the EHF invoice bucket, and what each function may do with them; also the grants
of the requisitioners' task function (R-REQ-3)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.stacks.bookings import BOOKING_EVENT_RECEIVES_BEFORE_DEAD_LETTERS

from .conftest import Synthesized
from .test_infra_template import alarm_topic, arn_prefix, as_list, flatten, grants, queue_named

pytestmark = pytest.mark.infra

BOOKING_VARIABLES = {
    "IDENTITY_KEY_SECRET_ID",
    "INVOICE_BUCKET",
    "PARTNER_SECRET_PREFIX",
    "BOOKING_EVENTS_QUEUE_URL",
}
# The functions whose code uses each (chalicelib/bootstrap.py): the API checks partner events' signatures and
# hashes identity numbers; the relay stores invoices and queues kept events.
NEEDED_BY = {
    "APIHandler": {"IDENTITY_KEY_SECRET_ID", "PARTNER_SECRET_PREFIX"},
    "DeliverOutbox": {"INVOICE_BUCKET", "BOOKING_EVENTS_QUEUE_URL"},
}
BASELINE = {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}
TABLE = {
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
}


def secret_named(stage: Synthesized, suffix: str) -> str:
    return next(
        logical_id
        for logical_id, secret in stage.resources("AWS::SecretsManager::Secret").items()
        if secret["Properties"]["Name"] == f"service-orders-{stage.config.stage}-{suffix}"
    )


def invoice_bucket(stage: Synthesized) -> tuple[str, dict[str, Any]]:
    return next(
        (logical_id, bucket)
        for logical_id, bucket in stage.resources("AWS::S3::Bucket").items()
        if bucket["Properties"]["BucketName"]
        == f"service-orders-{stage.config.stage}-invoices-{stage.config.account}"
    )


def statements_with(stage: Synthesized, function_id: str, action: str) -> list[dict[str, Any]]:
    return [s for s in stage.role_statements(stage.role_of(function_id)) if action in as_list(s["Action"])]


# --- the booking events queue and its function ----------------------------------------------------------


def test_booking_events_are_encrypted_and_set_aside_after_five_receives(stage: Synthesized) -> None:
    queue_id, queue = queue_named(stage, "booking-events")
    dead_id, dead = queue_named(stage, "booking-events-dead-letters")
    assert queue["Properties"]["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": [dead_id, "Arn"]},
        "maxReceiveCount": BOOKING_EVENT_RECEIVES_BEFORE_DEAD_LETTERS,
    }
    assert BOOKING_EVENT_RECEIVES_BEFORE_DEAD_LETTERS == 5
    for properties in (queue["Properties"], dead["Properties"]):
        assert properties["SqsManagedSseEnabled"] is True
    # Longer than the function may take on a batch, so a message is not offered twice while it runs.
    assert queue["Properties"]["VisibilityTimeout"] >= 6 * stage.config.lambda_timeout_seconds
    # Only over TLS.
    policies = [
        p["Properties"]
        for p in stage.resources("AWS::SQS::QueuePolicy").values()
        if {"Ref": queue_id} in p["Properties"]["Queues"]
    ]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for p in policies
        for s in p["PolicyDocument"]["Statement"]
    )


def test_the_booking_events_dead_letters_are_alarmed_to_the_alarm_topic(stage: Synthesized) -> None:
    dead_id, _ = queue_named(stage, "booking-events-dead-letters")
    [alarm] = [
        a["Properties"]
        for a in stage.resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["AlarmName"] == f"service-orders-{stage.config.stage}-booking-event-dead-letters"
    ]
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dead_id, "QueueName"]}}]
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Threshold"] == 1
    assert alarm["AlarmActions"] == [{"Ref": alarm_topic(stage)}]


def test_the_processing_function_is_the_apps_and_is_fed_by_the_queue_through_its_alias(
    stage: Synthesized,
) -> None:
    """R-BKG-1: events kept by the API are applied by process_booking_events, which reports each failed event
    alone (ReportBatchItemFailures) so the rest of a batch is not applied twice."""
    function = stage.functions()["ProcessBookingEvents"]
    assert function["Handler"] == "chalicelib.entrypoints.booking_events.process_booking_events"
    assert function["FunctionName"] == f"service-orders-{stage.config.stage}-process_booking_events"
    assert function["AutoPublishAlias"] == "live"
    queue_id, _ = queue_named(stage, "booking-events")
    [mapping] = [
        m["Properties"]
        for m in stage.resources("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    ]
    assert mapping["FunctionName"] == {"Ref": "ProcessBookingEvents.Alias"}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_processing_function_reads_its_queue_and_the_table_and_nothing_else(stage: Synthesized) -> None:
    queue_id, _ = queue_named(stage, "booking-events")
    actions = grants(stage, "ProcessBookingEvents")
    consumer = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
    assert actions == BASELINE | TABLE | consumer
    [statement] = statements_with(stage, "ProcessBookingEvents", "sqs:ReceiveMessage")
    assert statement["Resource"] == {"Fn::GetAtt": [queue_id, "Arn"]}


def test_the_processing_function_has_concurrency_of_its_own_where_the_stage_reserves_it(
    synthesized: dict[str, Synthesized],
) -> None:
    for name in ("staging", "prod"):
        stage = synthesized[name]
        reserved = stage.deployed("AWS::Lambda::Function")["ProcessBookingEvents"]["Properties"]
        assert (
            reserved["ReservedConcurrentExecutions"]
            == stage.config.reserved_concurrency["process_booking_events"]
        )


def test_failed_and_parked_partner_events_are_alarmed(stage: Synthesized) -> None:
    for metric in ("PartnerEventFailures", "PartnerEventsParked"):
        [alarm] = [
            a["Properties"]
            for a in stage.resources("AWS::CloudWatch::Alarm").values()
            if a["Properties"].get("MetricName") == metric
        ]
        assert alarm["Namespace"] == "ServiceOrders", metric
        assert alarm["Dimensions"] == [{"Name": "service", "Value": "service-orders"}], metric
        assert alarm["AlarmActions"] == [{"Ref": alarm_topic(stage)}], metric
        assert alarm["TreatMissingData"] == "notBreaching", metric


# --- secrets ----------------------------------------------------------------------------------------


def test_the_api_reads_exactly_the_identity_key_and_the_partners_secrets(stage: Synthesized) -> None:
    """R-BKG-1, R-BKG-3: a partner event's signature is checked with its partner's secret, and an identity
    number is hashed with the identity key; no other secret is the API's."""
    key_id = secret_named(stage, "identity-key")
    statements = statements_with(stage, "APIHandler", "secretsmanager:GetSecretValue")
    assert all(as_list(s["Action"]) == ["secretsmanager:GetSecretValue"] for s in statements)
    resources = sorted(flatten(resource) for s in statements for resource in as_list(s["Resource"]))
    partners = f"{arn_prefix(stage, 'secretsmanager')}secret:service-orders-{stage.config.stage}/partners/*"
    assert resources == sorted([flatten({"Ref": key_id}), partners])


def test_the_identity_key_is_generated_and_kept_like_the_data(stage: Synthesized) -> None:
    key_id = secret_named(stage, "identity-key")
    resource = stage.template["Resources"][key_id]
    assert "GenerateSecretString" in resource["Properties"]
    assert resource["DeletionPolicy"] == ("RetainExceptOnCreate" if stage.config.protect_data else "Delete")


# --- the invoice bucket -----------------------------------------------------------------------------


def test_invoices_are_encrypted_private_versioned_and_retained(stage: Synthesized) -> None:
    bucket_id, bucket = invoice_bucket(stage)
    properties = bucket["Properties"]
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "AES256"}
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["DeletionPolicy"] == "Retain" and bucket["UpdateReplacePolicy"] == "Retain"
    assert "LoggingConfiguration" in properties
    [policy] = [
        p["Properties"]
        for p in stage.resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["PolicyDocument"]["Statement"]
    )


def test_invoices_are_locked_for_the_bookkeeping_period_then_expire(stage: Synthesized) -> None:
    """Norway's bookkeeping act keeps an invoice five years after the end of its financial year: six years of
    Object Lock from when it is written, in compliance mode where the stage protects its data."""
    _, bucket = invoice_bucket(stage)
    properties = bucket["Properties"]
    days = stage.config.invoice_retention_days
    assert properties["ObjectLockEnabled"] is True
    assert properties["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {
            "DefaultRetention": {
                "Mode": "COMPLIANCE" if stage.config.protect_data else "GOVERNANCE",
                "Days": days,
            }
        },
    }
    expirations = [rule.get("ExpirationInDays") for rule in properties["LifecycleConfiguration"]["Rules"]]
    assert days + 1 in expirations


def test_prod_keeps_invoices_six_years(prod: Synthesized) -> None:
    assert prod.config.invoice_retention_days >= 6 * 365
    assert prod.config.protect_data


def test_only_the_relay_writes_invoices_and_only_under_ehf(stage: Synthesized) -> None:
    bucket_id, _ = invoice_bucket(stage)
    for logical_id in stage.functions():
        s3 = {action for action in grants(stage, logical_id) if action.startswith("s3:")}
        assert s3 == ({"s3:PutObject"} if logical_id == "DeliverOutbox" else set()), logical_id
    [statement] = statements_with(stage, "DeliverOutbox", "s3:PutObject")
    assert as_list(statement["Action"]) == ["s3:PutObject"]
    resource = flatten(statement["Resource"])
    assert bucket_id in resource and resource.endswith("/ehf/*"), resource


def test_only_the_relay_queues_booking_events(stage: Synthesized) -> None:
    queue_id, _ = queue_named(stage, "booking-events")
    sends = [
        s
        for s in statements_with(stage, "DeliverOutbox", "sqs:SendMessage")
        if {"Fn::GetAtt": [queue_id, "Arn"]} in as_list(s["Resource"])
    ]
    assert [as_list(s["Resource"]) for s in sends] == [[{"Fn::GetAtt": [queue_id, "Arn"]}]]
    for logical_id in stage.functions():
        if logical_id == "DeliverOutbox":
            continue
        assert "sqs:SendMessage" not in grants(stage, logical_id), logical_id


# --- environment ------------------------------------------------------------------------------------


def test_bookings_names_reach_exactly_the_functions_that_use_them(stage: Synthesized) -> None:
    queue_id, _ = queue_named(stage, "booking-events")
    bucket_id, _ = invoice_bucket(stage)
    for logical_id, function in stage.functions().items():
        variables = function["Environment"]["Variables"]
        assert set(variables) & BOOKING_VARIABLES == NEEDED_BY.get(logical_id, set()), logical_id
    api = stage.functions()["APIHandler"]["Environment"]["Variables"]
    assert api["IDENTITY_KEY_SECRET_ID"] == {"Ref": secret_named(stage, "identity-key")}
    assert api["PARTNER_SECRET_PREFIX"] == f"service-orders-{stage.config.stage}/partners/"
    relay = stage.functions()["DeliverOutbox"]["Environment"]["Variables"]
    assert relay["INVOICE_BUCKET"] == {"Ref": bucket_id}
    assert relay["BOOKING_EVENTS_QUEUE_URL"] == {"Ref": queue_id}


def test_operators_find_the_bookings_resources_in_the_outputs(stage: Synthesized) -> None:
    outputs = stage.template["Outputs"]
    assert {
        "BookingEventsQueueUrl",
        "BookingEventsDeadLetterQueueUrl",
        "InvoiceBucketName",
        "IdentityKeySecretArn",
        "PartnerSecretPrefix",
    } <= set(outputs)
    assert outputs["PartnerSecretPrefix"]["Value"] == f"service-orders-{stage.config.stage}/partners/"


# --- requisitioners ---------------------------------------------------------------------------------


def test_the_hold_for_orderer_task_uses_the_table_only(stage: Synthesized) -> None:
    """R-REQ-3: the task keeps the order waiting (or releases it through the outbox, which answers the
    workflow); it calls nothing but the table."""
    assert grants(stage, "HoldForOrderer") == BASELINE | TABLE


def test_the_hold_for_orderer_task_is_called_through_its_alias_and_reserved_like_the_other_tasks(
    synthesized: dict[str, Synthesized],
) -> None:
    for stage in synthesized.values():
        function = stage.functions()["HoldForOrderer"]
        assert function["AutoPublishAlias"] == "live"
        _, machine = next(iter(stage.deployed("AWS::StepFunctions::StateMachine").items()))
        substitutions = machine["Properties"]["DefinitionSubstitutions"]
        assert substitutions["HoldForOrdererFunctionArn"] == {"Ref": "HoldForOrdererAliaslive"}
        reserved = stage.deployed("AWS::Lambda::Function")["HoldForOrderer"]["Properties"]
        assert reserved.get("ReservedConcurrentExecutions") == stage.config.reserved_concurrency.get(
            "hold_for_orderer"
        )
    assert synthesized["prod"].config.reserved_concurrency["hold_for_orderer"] >= 1


def test_requisitioners_have_their_cognito_group(stage: Synthesized) -> None:
    groups = {g["Properties"]["GroupName"] for g in stage.resources("AWS::Cognito::UserPoolGroup").values()}
    assert "Requisitioner" in groups
