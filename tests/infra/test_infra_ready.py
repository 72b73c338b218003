"""What a real account needs beyond the resources: the API's edge, concurrency of the workflow's own, versions
and aliases with a gradual API deploy, recovery, and alarms that reach people. Read from the template as
CloudFormation deploys it (the SAM transform expanded), where the API's stage and the aliases exist."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App

from infra.stacks.assembly import build_stack
from infra.stacks.environment import RESERVABLE_FUNCTIONS, RestoredTable, load_environments
from infra.stacks.functions import FUNCTIONS, WORKFLOW_SUBSTITUTIONS

from .conftest import Synthesized

pytestmark = pytest.mark.infra


def stage_resource(stage: Synthesized) -> dict[str, Any]:
    stages = stage.deployed("AWS::ApiGateway::Stage")
    assert list(stages) == ["RestAPIapiStage"], f"one stage, named api; found {sorted(stages)}"
    properties: dict[str, Any] = stages["RestAPIapiStage"]["Properties"]
    return properties


# --- the API edge ---------------------------------------------------------------------------------


def test_the_api_has_one_stage_and_no_stray_deployment_stage(stage: Synthesized) -> None:
    stage_resource(stage)
    for deployment in stage.deployed("AWS::ApiGateway::Deployment").values():
        assert "StageName" not in deployment["Properties"], "SAM's extra stage 'Stage' is back"


def test_the_stage_is_throttled_and_tighter_on_sign_in_orders_and_codes(stage: Synthesized) -> None:
    settings = {(s["ResourcePath"], s["HttpMethod"]): s for s in stage_resource(stage)["MethodSettings"]}
    everything = settings[("/*", "*")]
    assert everything["ThrottlingRateLimit"] == stage.config.api_throttle.rate_per_second
    assert everything["ThrottlingBurstLimit"] == stage.config.api_throttle.burst
    for path, method in (("/~1api~1session", "POST"), ("/~1api~1orders", "POST")):
        assert settings[(path, method)]["ThrottlingRateLimit"] < everything["ThrottlingRateLimit"]
    codes = settings[("/~1api~1approvals~1{approval_id}~1code", "POST")]
    assert codes["ThrottlingRateLimit"] <= 2


def test_the_stage_logs_each_request_as_json_and_no_bodies(stage: Synthesized) -> None:
    properties = stage_resource(stage)
    access = properties["AccessLogSetting"]
    fields = json.loads(access["Format"])
    assert {"requestId", "ip", "method", "resource", "status", "latencyMs"} <= set(fields)
    assert not any("body" in value.lower() or "authorization" in value.lower() for value in fields.values())
    log_group_id = access["DestinationArn"]["Fn::GetAtt"][0]
    assert stage.expanded["Resources"][log_group_id]["Properties"]["RetentionInDays"] == (
        stage.config.log_retention_days
    )
    for setting in properties["MethodSettings"]:
        assert setting["LoggingLevel"] in {"ERROR", "INFO"}
        assert setting["DataTraceEnabled"] is False, (
            "execution logs must not carry request or response bodies"
        )
    # Execution logs need the account's API Gateway role; its log group is ours, with a retention.
    assert stage.deployed("AWS::ApiGateway::Account")
    groups = [g["Properties"] for g in stage.deployed("AWS::Logs::LogGroup").values()]
    assert any("API-Gateway-Execution-Logs_" in json.dumps(g["LogGroupName"]) for g in groups)


def test_waf_guards_the_stage_where_the_stage_says_so(stage: Synthesized) -> None:
    acls = stage.deployed("AWS::WAFv2::WebACL")
    if not stage.config.waf:
        assert not acls
        return
    [acl] = acls.values()
    rules = {rule["Name"]: rule for rule in acl["Properties"]["Rules"]}
    assert rules["RatePerAddress"]["Statement"]["RateBasedStatement"]["Limit"] == (
        stage.config.waf_requests_per_ip_per_5_minutes
    )
    managed = {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]
        for r in rules.values()
        if "Statement" in r and "ManagedRuleGroupStatement" in r["Statement"]
    }
    assert managed == {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"}
    [association] = stage.deployed("AWS::WAFv2::WebACLAssociation").values()
    assert "RestAPIapiStage" in json.dumps(association["Properties"]["ResourceArn"])


def test_prod_and_staging_have_waf(synthesized: dict[str, Synthesized]) -> None:
    assert synthesized["prod"].config.waf and synthesized["staging"].config.waf


# --- isolation ------------------------------------------------------------------------------------


def test_the_workflows_functions_have_concurrency_the_api_cannot_take(stage: Synthesized) -> None:
    functions = stage.deployed("AWS::Lambda::Function")
    for profile in FUNCTIONS:
        reserved = functions[profile.logical_id]["Properties"].get("ReservedConcurrentExecutions")
        assert reserved == stage.config.reserved_concurrency.get(profile.chalice_name), profile.logical_id
    # The API function is never given a reservation it would hold against the workflow.
    assert "ReservedConcurrentExecutions" not in functions["APIHandler"]["Properties"]


def test_staging_and_prod_reserve_for_every_workflow_function(synthesized: dict[str, Synthesized]) -> None:
    for name in ("staging", "prod"):
        assert set(synthesized[name].config.reserved_concurrency) == set(RESERVABLE_FUNCTIONS), name


# --- safe deploys ---------------------------------------------------------------------------------


def test_every_function_publishes_versions_behind_an_alias(stage: Synthesized) -> None:
    aliases = {
        a["Properties"]["FunctionName"]["Ref"]: a for a in stage.deployed("AWS::Lambda::Alias").values()
    }
    versions = {
        v["Properties"]["FunctionName"]["Ref"] for v in stage.deployed("AWS::Lambda::Version").values()
    }
    functions = set(stage.deployed("AWS::Lambda::Function"))
    assert set(aliases) == functions and versions == functions
    assert {a["Properties"]["Name"] for a in aliases.values()} == {"live"}
    for version in stage.deployed("AWS::Lambda::Version").values():
        # Old versions stay when a deploy publishes a new one: a rollback moves the alias back to them.
        assert version["DeletionPolicy"] == "Retain"


def test_running_orders_call_the_aliases_not_latest(stage: Synthesized) -> None:
    _, machine = next(iter(stage.deployed("AWS::StepFunctions::StateMachine").items()))
    substitutions = machine["Properties"]["DefinitionSubstitutions"]
    for placeholder, profile in WORKFLOW_SUBSTITUTIONS.items():
        assert substitutions[placeholder] == {"Ref": f"{profile.logical_id}Aliaslive"}, placeholder


def test_the_api_the_event_sources_and_the_schedule_call_aliases(stage: Synthesized) -> None:
    body = json.dumps(stage.deployed("AWS::ApiGateway::RestApi")["RestAPI"]["Properties"]["Body"])
    assert "${APIHandler.Arn}" not in body and "${APIHandlerAliaslive}" in body
    for permission in stage.deployed("AWS::Lambda::Permission").values():
        function = json.dumps(permission["Properties"]["FunctionName"])
        assert "Aliaslive" in function, function
    for mapping in stage.deployed("AWS::Lambda::EventSourceMapping").values():
        assert mapping["Properties"]["FunctionName"] in (
            {"Ref": "DeliverOutboxAliaslive"},
            {"Ref": "ProcessBookingEventsAliaslive"},
        )
    schedules = [
        r for r in stage.deployed("AWS::Events::Rule").values() if "ScheduleExpression" in r["Properties"]
    ]
    assert schedules and all("Aliaslive" in json.dumps(r["Properties"]["Targets"]) for r in schedules)


def test_staging_and_prod_shift_api_traffic_gradually_and_roll_back_on_the_api_alarms(
    synthesized: dict[str, Synthesized],
) -> None:
    for name in ("staging", "prod"):
        stage = synthesized[name]
        [group] = stage.deployed("AWS::CodeDeploy::DeploymentGroup").values()
        properties = group["Properties"]
        assert stage.config.api_deployment.startswith(("Canary", "Linear"))
        assert json.dumps(stage.config.api_deployment) in json.dumps(properties["DeploymentConfigName"])
        alarms = {json.dumps(alarm["Name"]) for alarm in properties["AlarmConfiguration"]["Alarms"]}
        names = {
            json.dumps({"Ref": logical_id}): a["Properties"]["AlarmName"]
            for logical_id, a in stage.deployed("AWS::CloudWatch::Alarm").items()
        }
        watched = {names[alarm] for alarm in alarms}
        assert {f"service-orders-{name}-api-5xx", f"service-orders-{name}-api_handler-errors"} <= watched
        assert properties["AutoRollbackConfiguration"]["Enabled"] is True
        # SAM's own CodeDeploy role (an AWS managed policy) is not used.
        assert "CodeDeployServiceRole" not in stage.expanded["Resources"]


def test_dev_deploys_the_api_at_once(dev: Synthesized) -> None:
    assert not dev.deployed("AWS::CodeDeploy::DeploymentGroup")


# --- recovery -------------------------------------------------------------------------------------


def test_prod_backs_the_table_up_every_day(prod: Synthesized) -> None:
    [plan] = prod.deployed("AWS::Backup::BackupPlan").values()
    [rule] = plan["Properties"]["BackupPlan"]["BackupPlanRule"]
    assert rule["Lifecycle"]["DeleteAfterDays"] == prod.config.backup_retention_days
    [selection] = prod.deployed("AWS::Backup::BackupSelection").values()
    resources = json.dumps(selection["Properties"]["BackupSelection"]["Resources"])
    assert "ApplicationTable" in resources
    # `make restore BACKUP=<recovery point>` restores with the selection's role, named in an output.
    assert "BackupRoleArn" in prod.template["Outputs"]


def test_dev_has_no_backup_plan(dev: Synthesized) -> None:
    assert not dev.deployed("AWS::Backup::BackupPlan")


# --- alarms that reach people ---------------------------------------------------------------------


def alarm_names(stage: Synthesized) -> set[str]:
    return {
        alarm["Properties"]["AlarmName"].removeprefix(f"service-orders-{stage.config.stage}-")
        for alarm in stage.deployed("AWS::CloudWatch::Alarm").values()
    }


def test_alarms_cover_the_api_the_table_sms_dead_letters_and_the_workflow(stage: Synthesized) -> None:
    assert {
        "api-5xx",
        "api-latency-p99",
        "table-throttles",
        "table-system-errors",
        "sms-delivery",
        "sms-spend",
        "workflow-dead-letters",
        "outbox-dead-letters",
        "booking-event-dead-letters",
        "partner-event-failures",
        "partner-events-parked",
        "workflow-failed",
        "workflow-timed-out",
        "orders-waiting-too-long",
    } <= alarm_names(stage)


def test_orders_waiting_longer_than_the_stages_limit_are_alarmed(stage: Synthesized) -> None:
    [alarm] = [
        a["Properties"]
        for a in stage.deployed("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["AlarmName"].endswith("-orders-waiting-too-long")
    ]
    assert alarm["MetricName"] == "OrdersWaitingTooLong" and alarm["Threshold"] == 1
    for function in stage.deployed("AWS::Lambda::Function").values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["OPERATIONS_WAITING_HOURS"] == str(stage.config.stuck_after_hours)


def test_alarms_go_to_a_topic_that_paging_and_chat_can_subscribe_to(stage: Synthesized) -> None:
    topics = {
        logical_id: topic
        for logical_id, topic in stage.deployed("AWS::SNS::Topic").items()
        if topic["Properties"]["TopicName"].endswith("-alarms")
    }
    [topic_id] = topics
    protocols = {
        s["Properties"]["Protocol"]
        for s in stage.deployed("AWS::SNS::Subscription").values()
        if s["Properties"]["TopicArn"] == {"Ref": topic_id}
    }
    assert "email" in protocols
    assert ("https" in protocols) is bool(stage.config.alarm_https_endpoints)
    assert bool(stage.deployed("AWS::Chatbot::SlackChannelConfiguration")) is (
        stage.config.alarm_slack is not None
    )
    assert "AlarmTopicArn" in stage.template["Outputs"]


def test_the_scripts_find_what_they_need_in_the_stacks_outputs(stage: Synthesized) -> None:
    """`make smoke`, `make redrive`, `make restore` and `make load-catalogue` read these outputs."""
    outputs = stage.template["Outputs"]
    assert {"PublicBaseUrl", "SmokeCodesQueueUrl", "OrderWorkflowArn", "ApplicationTableName"} <= set(outputs)
    assert outputs["PublicBaseUrl"]["Value"] == stage.config.public_base_url


RESTORED_TABLE = "arn:aws:dynamodb:eu-north-1:111111111111:table/service-orders-dev-restored"
RESTORED_STREAM = f"{RESTORED_TABLE}/stream/2026-12-01T10:00:00.000"


@pytest.fixture(scope="module")
def restored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """dev pointed at a table restored by scripts/restore_table.py."""
    config = load_environments()["dev"].model_copy(
        update={
            "restored_table": RestoredTable(name="service-orders-dev-restored", stream_arn=RESTORED_STREAM)
        }
    )
    app = App(outdir=str(tmp_path_factory.mktemp("cdk-out-restored")))
    stack = build_stack(app, config, tmp_path_factory.mktemp("chalice-build-restored"))
    template: dict[str, Any] = app.synth().get_stack_by_name(stack.stack_name).template
    return template


def test_a_stage_pointed_at_a_restored_table_runs_on_it_and_owns_no_table_of_that_name(
    restored: dict[str, Any],
) -> None:
    tables = [r["Properties"] for r in restored["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert [t.get("TableName") for t in tables if "TimeToLiveSpecification" in t] == [
        None
    ]  # idempotency only
    text = json.dumps(restored)
    for function in (r for r in restored["Resources"].values() if r["Type"] == "AWS::Serverless::Function"):
        assert (
            function["Properties"]["Environment"]["Variables"]["TABLE_NAME"] == "service-orders-dev-restored"
        )
    [mapping] = [
        r["Properties"]
        for r in restored["Resources"].values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping" and "StartingPosition" in r["Properties"]
    ]
    assert mapping["EventSourceArn"] == RESTORED_STREAM
    assert ":table/service-orders-dev-restored" in text


def test_mail_leaves_from_a_mail_from_domain_of_the_senders_own(stage: Synthesized) -> None:
    [identity] = stage.deployed("AWS::SES::EmailIdentity").values()
    attributes = identity["Properties"]["MailFromAttributes"]
    assert attributes["MailFromDomain"] == f"bounce.{stage.config.sender_domain}"
    assert attributes["BehaviorOnMxFailure"] == "USE_DEFAULT_VALUE"
    outputs = stage.template["Outputs"]
    assert "feedback-smtp." in outputs["MailFromMxRecord"]["Value"]
    assert "include:amazonses.com" in outputs["MailFromSpfRecord"]["Value"]
