"""What the synthesized templates promise: data, sign-in, mail, workflow, least privilege, operations."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App

from chalicelib.adapters.dynamo.schema import APPLICATION_TABLE
from chalicelib.manifest import GATEWAY_ERRORS, PASSWORD_POLICY, SIGN_IN_FLOWS
from chalicelib.shared.identity import Role
from infra.stacks.assembly import build_stack
from infra.stacks.environment import LOG_RETENTION_DAYS, load_environments
from infra.stacks.functions import FUNCTIONS, WORKFLOW_SUBSTITUTIONS
from infra.stacks.service_orders_stack import RETENTION, adot_python_layer_arn

from .conftest import Synthesized

pytestmark = pytest.mark.infra

CONTRACT_ENVIRONMENT = {
    "TABLE_NAME",
    "IDEMPOTENCY_TABLE_NAME",
    "STATE_MACHINE_ARN",
    "MAIL_SENDER",
    "SES_CONFIGURATION_SET",
    "PUBLIC_BASE_URL",
    "OPERATIONS_EMAIL",
    "CUSTOMER_SERVICE_EMAIL",
    "COGNITO_USER_POOL_ID",
    "COGNITO_APP_CLIENT_ID",
    "DECISION_TIMEOUT_SECONDS",
    "ONE_TIME_CODE_TTL_SECONDS",
    "ONE_TIME_CODE_MAX_ATTEMPTS",
}
WORKFLOW_FUNCTIONS = {profile.logical_id for profile in WORKFLOW_SUBSTITUTIONS.values()}
REQUIRED_FUNCTIONS = {"APIHandler", *WORKFLOW_FUNCTIONS}


def flatten(value: Any) -> str:
    """A CloudFormation value as text (Fn::Join parts concatenated, other intrinsics as JSON)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(flatten(part) for part in parts)
    return json.dumps(value, sort_keys=True)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def arn_prefix(stage: Synthesized, service: str) -> str:
    """How an ARN built with `Stack.format_arn` reads once flattened."""
    return f'arn:{{"Ref": "AWS::Partition"}}:{service}:{stage.config.region}:{stage.config.account}:'


def rendered_definition(stage: Synthesized) -> str:
    """The definition as Step Functions receives it: substitutions filled as CloudFormation fills them."""
    _, machine = stage.only("AWS::StepFunctions::StateMachine")
    properties = machine["Properties"]
    definition = flatten(properties["DefinitionString"])
    for name, value in properties.get("DefinitionSubstitutions", {}).items():
        logical_id, _, alias = value["Ref"].partition(".")
        assert alias == "Alias", name
        arn = f"arn:aws:lambda:{stage.config.region}:{stage.config.account}:function:{logical_id}:live"
        definition = definition.replace("${" + name + "}", arn)
    return definition


# --- the stage ------------------------------------------------------------------------------------


def test_each_stage_is_one_stack_in_its_own_account_and_region(stage: Synthesized) -> None:
    assert stage.stack.stack_name == f"service-orders-{stage.config.stage}"
    assert stage.stack.account == stage.config.account
    assert stage.stack.region == stage.config.region


def test_synthesizing_leaves_the_process_environment_as_it_was(synthesized: dict[str, Synthesized]) -> None:
    # `chalice package` puts the stage's variables (CDK tokens) into os.environ while it imports app.py.
    assert not [name for name, value in os.environ.items() if "${Token[" in value]
    assert "chalice-build" not in str(Path.cwd())


def test_every_contract_function_is_deployed(stage: Synthesized) -> None:
    deployed = set(stage.functions())

    assert deployed >= REQUIRED_FUNCTIONS
    assert deployed <= {profile.logical_id for profile in FUNCTIONS}
    for profile in FUNCTIONS:
        if profile.logical_id in deployed:
            name = stage.functions()[profile.logical_id]["FunctionName"]
            assert name == f"service-orders-{stage.config.stage}-{profile.chalice_name}"


def test_api_answers_on_the_stage_domain_over_tls_1_2(stage: Synthesized) -> None:
    domain = stage.config.api_domain
    assert domain is not None, "every stage in environments.yaml has an api_domain"
    _, api = stage.only("AWS::Serverless::Api")
    _, domain_name = stage.only("AWS::ApiGateway::DomainName")
    _, mapping = stage.only("AWS::ApiGateway::BasePathMapping")

    assert api["Properties"]["EndpointConfiguration"] == "REGIONAL"
    assert api["Properties"]["TracingEnabled"] is True
    assert domain_name["Properties"]["DomainName"] == domain.domain_name
    assert domain_name["Properties"]["RegionalCertificateArn"] == domain.certificate_arn
    assert domain_name["Properties"]["SecurityPolicy"] == "TLS_1_2"
    # Referencing SAM's stage (not its name) makes CloudFormation create the stage first.
    assert mapping["Properties"]["Stage"] == {"Ref": "RestAPI.Stage"}
    assert stage.config.public_base_url == f"https://{domain.domain_name}"


def test_what_the_gateway_answers_by_itself_has_the_apis_error_shape(stage: Synthesized) -> None:
    """No token, a token not valid, no such route: the same body as every other error (`ErrorBody`), as the
    local product answers them."""
    responses = {
        resource["Properties"]["ResponseType"]: resource["Properties"]
        for resource in stage.resources("AWS::ApiGateway::GatewayResponse").values()
    }
    assert set(responses) == {error.response_type for error in GATEWAY_ERRORS}
    for error in GATEWAY_ERRORS:
        template = responses[error.response_type]["ResponseTemplates"]["application/json"]
        filled = template.replace("$context.error.messageString", '"the gateway says why"')
        body = json.loads(filled)
        assert body["code"] == error.code and body["errors"] == [] and body["message"], error
        assert responses[error.response_type]["RestApiId"] == {"Ref": "RestAPI"}


# --- data -----------------------------------------------------------------------------------------


def application_table(stage: Synthesized) -> tuple[str, dict[str, Any]]:
    tables = {
        logical_id: resource
        for logical_id, resource in stage.resources("AWS::DynamoDB::Table").items()
        if logical_id.startswith("ApplicationTable")
    }
    assert len(tables) == 1
    return next(iter(tables.items()))


def test_application_table_has_the_keys_indexes_and_expiry_of_the_data_model(stage: Synthesized) -> None:
    _, table = application_table(stage)
    properties = table["Properties"]

    assert properties["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert {a["AttributeName"]: a["AttributeType"] for a in properties["AttributeDefinitions"]} == {
        name: "S"
        for name in (
            "pk",
            "sk",
            "gsi1pk",
            "gsi1sk",
            "gsi2pk",
            "gsi2sk",
            "gsi3pk",
            "gsi3sk",
            "gsi4pk",
            "gsi4sk",
        )
    }
    indexes = {index["IndexName"]: index for index in properties["GlobalSecondaryIndexes"]}
    assert sorted(indexes) == ["gsi1", "gsi2", "gsi3", "gsi4"]
    for name, index in indexes.items():
        assert index["KeySchema"] == [
            {"AttributeName": f"{name}pk", "KeyType": "HASH"},
            {"AttributeName": f"{name}sk", "KeyType": "RANGE"},
        ]
        assert index["Projection"] == {"ProjectionType": "ALL"}
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expires_at_epoch", "Enabled": True}
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["SSESpecification"]["SSEEnabled"] is True


def test_the_deployed_table_is_the_one_the_local_product_creates(stage: Synthesized) -> None:
    """One schema (chalicelib/adapters/dynamo/schema.py) for infra, the local product and the adapters."""
    _, table = application_table(stage)
    properties = table["Properties"]
    created = APPLICATION_TABLE.create_table_arguments("any")
    assert properties["KeySchema"] == created["KeySchema"]
    assert sorted(properties["AttributeDefinitions"], key=str) == sorted(
        created["AttributeDefinitions"], key=str
    )
    assert [
        {"IndexName": index["IndexName"], "KeySchema": index["KeySchema"], "Projection": index["Projection"]}
        for index in properties["GlobalSecondaryIndexes"]
    ] == created["GlobalSecondaryIndexes"]
    assert properties["TimeToLiveSpecification"]["AttributeName"] == APPLICATION_TABLE.ttl_attribute


def test_prod_keeps_its_data_when_the_stack_goes(prod: Synthesized) -> None:
    _, table = application_table(prod)

    # Kept on every update and delete; only a first deploy that rolls back removes what it made.
    assert table["DeletionPolicy"] == "RetainExceptOnCreate"
    assert table["UpdateReplacePolicy"] == "Retain"
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    _, pool = prod.only("AWS::Cognito::UserPool")
    assert pool["DeletionPolicy"] == "RetainExceptOnCreate"
    for logical_id, group in prod.resources("AWS::Logs::LogGroup").items():
        assert group["DeletionPolicy"] == "RetainExceptOnCreate", logical_id
    assert pool["Properties"]["DeletionProtection"] == "ACTIVE"
    assert prod.stack.termination_protection is True


def test_dev_can_be_torn_down(dev: Synthesized) -> None:
    _, table = application_table(dev)

    assert table["DeletionPolicy"] == "Delete"
    assert not table["Properties"].get("DeletionProtectionEnabled", False)
    assert dev.stack.termination_protection is False


def test_idempotency_table_matches_powertools(stage: Synthesized) -> None:
    stage.assertions.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "TimeToLiveSpecification": {"AttributeName": "expiration", "Enabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        },
    )


# --- sign-in --------------------------------------------------------------------------------------


def test_user_pool_has_the_role_groups_and_the_organisation_attribute(stage: Synthesized) -> None:
    _, pool = stage.only("AWS::Cognito::UserPool")
    schema = {attribute["Name"]: attribute for attribute in pool["Properties"]["Schema"]}

    assert schema["org_id"]["AttributeDataType"] == "String"
    assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    groups = {
        group["Properties"]["GroupName"] for group in stage.resources("AWS::Cognito::UserPoolGroup").values()
    }
    assert groups == {
        "Administrator",
        "Orderer",
        "Attester",
        "AgentCaseHandler",
        "CustomerService",
        "Operations",
        "Requisitioner",
        "Practitioner",
    }
    assert groups == {role.value for role in Role}


def test_app_client_signs_in_with_password_and_refresh_and_has_no_secret(stage: Synthesized) -> None:
    _, client = stage.only("AWS::Cognito::UserPoolClient")
    properties = client["Properties"]

    assert sorted(properties["ExplicitAuthFlows"]) == ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH"]
    assert sorted(properties["ExplicitAuthFlows"]) == sorted(SIGN_IN_FLOWS)
    assert properties["GenerateSecret"] is False
    assert "custom:org_id" in properties["ReadAttributes"]
    assert "custom:org_id" not in properties["WriteAttributes"]


def test_a_forgotten_password_is_reset_by_email_and_nobody_learns_who_has_an_account(
    stage: Synthesized,
) -> None:
    """The portal answers a wrong password and an unknown user alike; Cognito must not tell them apart."""
    _, pool = stage.only("AWS::Cognito::UserPool")
    _, client = stage.only("AWS::Cognito::UserPoolClient")

    assert client["Properties"]["PreventUserExistenceErrors"] == "ENABLED"
    assert pool["Properties"]["AccountRecoverySetting"]["RecoveryMechanisms"] == [
        {"Name": "verified_email", "Priority": 1}
    ]
    policy = pool["Properties"]["Policies"]["PasswordPolicy"]
    assert policy == {
        "MinimumLength": PASSWORD_POLICY.min_length,
        "RequireLowercase": PASSWORD_POLICY.require_lowercase,
        "RequireUppercase": PASSWORD_POLICY.require_uppercase,
        "RequireNumbers": PASSWORD_POLICY.require_digits,
        "RequireSymbols": PASSWORD_POLICY.require_symbols,
        "TemporaryPasswordValidityDays": PASSWORD_POLICY.temporary_password_days,
    }


# --- mail -----------------------------------------------------------------------------------------


def test_mail_domain_signs_with_dkim_and_uses_the_configuration_set(stage: Synthesized) -> None:
    _, identity = stage.only("AWS::SES::EmailIdentity")
    configuration_set_id, configuration_set = stage.only("AWS::SES::ConfigurationSet")

    assert identity["Properties"]["EmailIdentity"] == stage.config.sender_domain
    assert identity["Properties"]["DkimAttributes"] == {"SigningEnabled": True}
    assert identity["Properties"]["ConfigurationSetAttributes"]["ConfigurationSetName"] == {
        "Ref": configuration_set_id
    }
    assert configuration_set["Properties"]["Name"] == f"service-orders-{stage.config.stage}"


def test_bounces_and_complaints_are_recorded(stage: Synthesized) -> None:
    _, destination = stage.only("AWS::SES::ConfigurationSetEventDestination")
    event_destination = destination["Properties"]["EventDestination"]

    assert {"bounce", "complaint"} <= set(event_destination["MatchingEventTypes"])
    assert event_destination["Enabled"] is True
    assert "CloudWatchDestination" in event_destination


# --- the order workflow ---------------------------------------------------------------------------


def test_state_machine_runs_the_asl_file_with_every_substitution_filled(
    stage: Synthesized, project_root: Path
) -> None:
    asl = json.loads((project_root / "statemachines" / "order_workflow.asl.json").read_text(encoding="utf-8"))
    definition = rendered_definition(stage)

    assert "${" not in definition
    deployed = json.loads(definition)
    assert set(deployed["States"]) == set(asl["States"])
    assert {"AgentApproval", "AgentAttestation", "CustomerAttestation", "CreateCase"} <= set(
        deployed["States"]
    )
    _, machine = stage.only("AWS::StepFunctions::StateMachine")
    substitutions = machine["Properties"]["DefinitionSubstitutions"]
    # Each task is called through its function's alias (docs/decisions.md, "Running orders call the aliases").
    assert substitutions == {
        placeholder: {"Ref": f"{profile.logical_id}.Alias"}
        for placeholder, profile in WORKFLOW_SUBSTITUTIONS.items()
    }


def test_api_knows_the_state_machine_arn_without_a_reference_cycle(stage: Synthesized) -> None:
    _, machine = stage.only("AWS::StepFunctions::StateMachine")
    name = machine["Properties"]["StateMachineName"]
    expected = f"{arn_prefix(stage, 'states')}stateMachine:{name}"

    assert name == f"service-orders-{stage.config.stage}-order-workflow"
    for logical_id, function in stage.functions().items():
        assert flatten(function["Environment"]["Variables"]["STATE_MACHINE_ARN"]) == expected, logical_id


def test_state_machine_is_traced_and_logs_without_task_tokens(stage: Synthesized) -> None:
    _, machine = stage.only("AWS::StepFunctions::StateMachine")
    properties = machine["Properties"]

    assert properties["StateMachineType"] == "STANDARD"
    assert properties["TracingConfiguration"] == {"Enabled": True}
    assert properties["LoggingConfiguration"]["Level"] == "ALL"
    assert properties["LoggingConfiguration"]["IncludeExecutionData"] is False
    log_group_id = properties["LoggingConfiguration"]["Destinations"][0]["CloudWatchLogsLogGroup"][
        "LogGroupArn"
    ]["Fn::GetAtt"][0]
    assert stage.properties(log_group_id)["RetentionInDays"] == stage.config.log_retention_days


def test_state_machine_may_invoke_exactly_the_workflow_functions(stage: Synthesized) -> None:
    _, machine = stage.only("AWS::StepFunctions::StateMachine")
    role_id = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    invoke = [s for s in stage.role_statements(role_id) if "lambda:InvokeFunction" in as_list(s["Action"])]

    assert len(invoke) == 1
    assert as_list(invoke[0]["Action"]) == ["lambda:InvokeFunction"]
    # The aliases the definition names, and nothing else: not $LATEST, not a version.
    assert sorted(r["Ref"] for r in as_list(invoke[0]["Resource"])) == sorted(
        f"{logical_id}.Alias" for logical_id in WORKFLOW_FUNCTIONS
    )


# --- functions ------------------------------------------------------------------------------------


def test_every_function_gets_the_contract_environment(stage: Synthesized) -> None:
    for logical_id, function in stage.functions().items():
        variables = function["Environment"]["Variables"]
        assert set(variables) >= CONTRACT_ENVIRONMENT, logical_id
        assert "COGNITO_JWKS_FILE" not in variables, "a JWKS read from disk is for the local runtime only"
        assert variables["PUBLIC_BASE_URL"] == stage.config.public_base_url
        assert variables["MAIL_SENDER"] == stage.config.sender_address
        assert variables["DECISION_TIMEOUT_SECONDS"] == str(stage.config.decision_timeout_seconds)
        assert variables["POWERTOOLS_SERVICE_NAME"] == "service-orders"


def test_no_stage_runs_opentelemetry_unless_it_says_so(stage: Synthesized) -> None:
    """Off by default: no ADOT layer and no wrapper, so cold starts stay as they are."""
    assert not stage.config.opentelemetry
    for logical_id, function in stage.functions().items():
        assert "Layers" not in function, logical_id
        variables = function["Environment"]["Variables"]
        assert not {"AWS_LAMBDA_EXEC_WRAPPER", "OTEL_SERVICE_NAME", "OTEL_PROPAGATORS"} & set(variables)


@pytest.fixture(scope="module")
def with_opentelemetry(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """staging with the switch on."""
    config = load_environments()["staging"].model_copy(update={"opentelemetry": True})
    app = App(outdir=str(tmp_path_factory.mktemp("cdk-out-opentelemetry")))
    stack = build_stack(app, config, tmp_path_factory.mktemp("chalice-build-opentelemetry"))
    template: dict[str, Any] = app.synth().get_stack_by_name(stack.stack_name).template
    return template


def test_a_stage_that_turns_opentelemetry_on_gets_the_layer_and_its_wrapper_on_every_function(
    with_opentelemetry: dict[str, Any],
) -> None:
    functions = {
        logical_id: resource["Properties"]
        for logical_id, resource in with_opentelemetry["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    assert {profile.logical_id for profile in FUNCTIONS} <= set(functions)
    region = load_environments()["staging"].region
    layer = adot_python_layer_arn(region)
    assert layer.startswith(f"arn:aws:lambda:{region}:901920570463:layer:aws-otel-python-amd64-ver-")
    for logical_id, function in functions.items():
        assert function["Layers"] == [layer], logical_id
        variables = function["Environment"]["Variables"]
        assert variables["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/otel-instrument", logical_id
        assert variables["OTEL_SERVICE_NAME"] == "service-orders", logical_id
        assert variables["OTEL_PROPAGATORS"] == "xray", logical_id
        assert function["Tracing"] == "Active", logical_id


def test_every_function_is_traced_and_logs_with_the_stage_retention(stage: Synthesized) -> None:
    for logical_id, function in stage.functions().items():
        assert function["Tracing"] == "Active", logical_id
        log_group_ref = function["LoggingConfig"]["LogGroup"]
        log_group = stage.properties(log_group_ref["Ref"])
        assert log_group["LogGroupName"] == f"/aws/lambda/{function['FunctionName']}"
        assert log_group["RetentionInDays"] == stage.config.log_retention_days


def test_log_retention_choices_are_the_ones_cloudwatch_accepts() -> None:
    assert tuple(RETENTION) == LOG_RETENTION_DAYS


# --- least privilege ------------------------------------------------------------------------------


def test_each_function_has_a_role_of_its_own(stage: Synthesized) -> None:
    roles = [stage.role_of(logical_id) for logical_id in stage.functions()]

    assert len(set(roles)) == len(roles)
    for role_id in roles:
        assert stage.properties(role_id).get("ManagedPolicyArns") is None


def test_no_statement_allows_every_action_of_a_service(stage: Synthesized) -> None:
    for owner, statement in stage.all_statements():
        for action in as_list(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), f"{owner} allows {action}"
        assert statement["Effect"] == "Allow", owner
        assert "NotAction" not in statement and "NotResource" not in statement, owner


# Where IAM offers no resource-level permission, "*" is the only possible resource.
UNSCOPABLE_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "sns:Publish",  # SMS to a phone number
    "states:SendTaskSuccess",
    "states:SendTaskFailure",
    "states:SendTaskHeartbeat",
    # Step Functions' delivery of its own logs, written by CDK for the state machine's role.
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    # CodeDeploy reading the API's alarms while it shifts traffic; the chat channel reading them.
    "cloudwatch:DescribeAlarms",
}


def test_resource_star_only_where_iam_allows_nothing_narrower(stage: Synthesized) -> None:
    for owner, statement in stage.all_statements():
        if "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) <= UNSCOPABLE_ACTIONS, owner


def test_table_grants_name_the_table_and_its_indexes(stage: Synthesized) -> None:
    table_id, _ = application_table(stage)
    for logical_id in stage.functions():
        for statement in stage.role_statements(stage.role_of(logical_id)):
            actions = as_list(statement["Action"])
            if not any(action.startswith("dynamodb:") for action in actions):
                continue
            for resource in as_list(statement["Resource"]):
                text = flatten(resource)
                assert "*" not in text, f"{logical_id}: {text}"
                if text.startswith(json.dumps({"Fn::GetAtt": [table_id, "Arn"]}, sort_keys=True)):
                    suffix = text.removeprefix(json.dumps({"Fn::GetAtt": [table_id, "Arn"]}, sort_keys=True))
                    assert suffix in {"", "/index/gsi1", "/index/gsi2", "/index/gsi3", "/index/gsi4"}, (
                        f"{logical_id}: {text}"
                    )


def grants(stage: Synthesized, logical_id: str) -> set[str]:
    statements = stage.role_statements(stage.role_of(logical_id))
    return {action for statement in statements for action in as_list(statement["Action"])}


def test_only_the_outbox_relay_starts_the_workflow_and_answers_its_decisions(stage: Synthesized) -> None:
    """The API and the tasks stage these with the change that causes them; only the relay delivers them (and
    the reconciliation starts an order whose start was lost)."""
    answers = {"states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"}
    reconciling = {
        "states:ListExecutions",
        "states:StartExecution",
        "states:DescribeExecution",
        "states:StopExecution",
    }
    for logical_id in stage.functions():
        actions = grants(stage, logical_id)
        workflow_calls = {a for a in actions if a.startswith("states:")}
        if logical_id == "DeliverOutbox":
            assert workflow_calls == {"states:StartExecution", *answers}
        elif logical_id == "ReconcileOrders":
            assert workflow_calls == reconciling
        else:
            assert not workflow_calls, logical_id

    start = next(
        s
        for s in stage.role_statements(stage.role_of("DeliverOutbox"))
        if "states:StartExecution" in as_list(s["Action"])
    )
    assert flatten(start["Resource"]).endswith(
        f":stateMachine:service-orders-{stage.config.stage}-order-workflow"
    )


def test_mail_is_sent_only_as_the_sender_through_its_identity(stage: Synthesized) -> None:
    for logical_id in stage.functions():
        for statement in stage.role_statements(stage.role_of(logical_id)):
            if not any(action.startswith("ses:") for action in as_list(statement["Action"])):
                continue
            resources = {flatten(resource) for resource in as_list(statement["Resource"])}
            prefix = arn_prefix(stage, "ses")
            assert f"{prefix}identity/{stage.config.sender_domain}" in resources
            assert f"{prefix}configuration-set/service-orders-{stage.config.stage}" in resources
            assert all(
                re.fullmatch(re.escape(prefix) + r"(identity|configuration-set)/[^*]+", r) for r in resources
            )
            assert statement["Condition"] == {
                "StringEquals": {"ses:FromAddress": stage.config.sender_address}
            }


def test_the_authorizer_calls_nothing_but_logs_and_traces(stage: Synthesized) -> None:
    if "Authorizer" not in stage.functions():
        pytest.skip("app.py declares no @app.authorizer() yet")
    assert grants(stage, "Authorizer") == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }


def test_only_the_api_sends_sms_and_records_idempotency(stage: Synthesized) -> None:
    for logical_id in stage.functions():
        actions = grants(stage, logical_id)
        statements = stage.role_statements(stage.role_of(logical_id))
        idempotency = [s for s in statements if s.get("Sid") == "IdempotencyRecords"]
        if logical_id == "APIHandler":
            assert "sns:Publish" in actions
            assert len(idempotency) == 1
        else:
            assert "sns:Publish" not in actions, logical_id
            assert not idempotency, logical_id


ACCOUNT_ADMIN_CALLS = {
    "cognito-idp:AdminCreateUser",
    "cognito-idp:AdminUpdateUserAttributes",
    "cognito-idp:AdminAddUserToGroup",
    "cognito-idp:AdminRemoveUserFromGroup",
    "cognito-idp:AdminListGroupsForUser",
    "cognito-idp:AdminSetUserPassword",
    "cognito-idp:AdminUserGlobalSignOut",
    "cognito-idp:AdminDeleteUser",
}
# R-ONB-2: the relay opens an approved application's accounts (CognitoAccounts.create) and sets their groups.
ACCOUNT_OPENING_CALLS = {
    "cognito-idp:AdminCreateUser",
    "cognito-idp:AdminAddUserToGroup",
    "cognito-idp:AdminRemoveUserFromGroup",
    "cognito-idp:AdminListGroupsForUser",
}


def test_only_the_api_manages_accounts_and_only_in_the_stages_user_pool(stage: Synthesized) -> None:
    """The directory opens, changes and closes accounts (R-ONB-3) with Cognito's admin calls: the API's role
    has exactly those, on the stage's own pool; the relay, which completes approved applications (R-ONB-2),
    may only open accounts and set their groups; no other function has any Cognito action."""
    pool_id, _ = stage.only("AWS::Cognito::UserPool")
    expected = {"APIHandler": ACCOUNT_ADMIN_CALLS, "DeliverOutbox": ACCOUNT_OPENING_CALLS}
    for logical_id in stage.functions():
        statements = stage.role_statements(stage.role_of(logical_id))
        cognito = [s for s in statements if any(a.startswith("cognito-idp:") for a in as_list(s["Action"]))]
        if logical_id not in expected:
            assert not cognito, logical_id
            continue
        [statement] = cognito
        assert set(as_list(statement["Action"])) == expected[logical_id], logical_id
        assert as_list(statement["Resource"]) == [{"Fn::GetAtt": [pool_id, "Arn"]}]
        assert "Condition" not in statement


# --- operations -----------------------------------------------------------------------------------


def alarms_by_metric(stage: Synthesized) -> dict[tuple[str, str], list[dict[str, Any]]]:
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for alarm in stage.resources("AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        metrics = (
            [(properties["Namespace"], properties["MetricName"])]
            if "MetricName" in properties
            else [
                (query["MetricStat"]["Metric"]["Namespace"], query["MetricStat"]["Metric"]["MetricName"])
                for query in properties["Metrics"]
                if "MetricStat" in query
            ]
        )
        for metric in metrics:
            found.setdefault(metric, []).append(properties)
    return found


def alarm_topic(stage: Synthesized) -> str:
    return next(
        logical_id
        for logical_id, topic in stage.resources("AWS::SNS::Topic").items()
        if topic["Properties"]["TopicName"].endswith("-alarms")
    )


def test_alarms_watch_the_workflow_every_function_mail_and_dead_letters(stage: Synthesized) -> None:
    alarms = alarms_by_metric(stage)

    for metric in ("ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"):
        assert ("AWS/States", metric) in alarms
    for metric in ("Errors", "Throttles"):
        watched = {
            dimension["Value"]
            for alarm in alarms[("AWS/Lambda", metric)]
            for dimension in alarm["Dimensions"]
        }
        assert watched == {function["FunctionName"] for function in stage.functions().values()}
    assert ("AWS/SES", "Reputation.BounceRate") in alarms
    assert ("AWS/SES", "Reputation.ComplaintRate") in alarms
    assert ("AWS/SQS", "ApproximateNumberOfMessagesVisible") in alarms


def test_every_alarm_mails_the_alarm_address(stage: Synthesized) -> None:
    topic_id = alarm_topic(stage)

    for alarm in stage.resources("AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]
    [subscription] = [
        s
        for s in stage.resources("AWS::SNS::Subscription").values()
        if s["Properties"]["TopicArn"] == {"Ref": topic_id}
    ]
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == stage.config.alarm_email


def test_executions_the_workflow_gives_up_on_land_in_the_dead_letter_queue(stage: Synthesized) -> None:
    _, rule = stage.only("AWS::Events::Rule")
    queue_id, queue = next(
        (logical_id, queue)
        for logical_id, queue in stage.resources("AWS::SQS::Queue").items()
        if queue["Properties"]["QueueName"].endswith("-workflow-dead-letters")
    )
    machine_id, _ = stage.only("AWS::StepFunctions::StateMachine")
    pattern = rule["Properties"]["EventPattern"]

    assert pattern["source"] == ["aws.states"]
    assert sorted(pattern["detail"]["status"]) == ["ABORTED", "FAILED", "TIMED_OUT"]
    assert pattern["detail"]["stateMachineArn"] == [{"Ref": machine_id}]
    assert rule["Properties"]["Targets"][0]["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_dashboard_shows_orders_submitted_decided_completed_and_stuck(stage: Synthesized) -> None:
    _, dashboard = stage.only("AWS::CloudWatch::Dashboard")
    body = flatten(dashboard["Properties"]["DashboardBody"])

    for metric in ("OrdersSubmitted", "DecisionsRecorded", "OrdersCompleted", "OrdersNeedingAttention"):
        assert f'["ServiceOrders","{metric}","service","service-orders"' in body, metric
    assert "ApproximateNumberOfMessagesVisible" in body
    assert "ExecutionsFailed" in body


# --- the outbox -----------------------------------------------------------------------------------


def queue_named(stage: Synthesized, suffix: str) -> tuple[str, dict[str, Any]]:
    return next(
        (logical_id, queue)
        for logical_id, queue in stage.resources("AWS::SQS::Queue").items()
        if queue["Properties"]["QueueName"] == f"service-orders-{stage.config.stage}-{suffix}"
    )


def test_the_relay_reads_outbox_inserts_from_the_table_stream_in_order_and_sets_aside_what_keeps_failing(
    stage: Synthesized,
) -> None:
    table_id, table = application_table(stage)
    assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    dead_id, _ = queue_named(stage, "outbox-dead-letters")
    mappings = stage.resources("AWS::Lambda::EventSourceMapping")
    stream = next(
        m["Properties"]
        for m in mappings.values()
        if "StreamArn" in flatten(m["Properties"]["EventSourceArn"])
    )
    assert stream["EventSourceArn"] == {"Fn::GetAtt": [table_id, "StreamArn"]}
    assert stream["StartingPosition"] == "TRIM_HORIZON"
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert stream["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [dead_id, "Arn"]}
    [pattern] = [json.loads(f["Pattern"]) for f in stream["FilterCriteria"]["Filters"]]
    assert pattern == {"eventName": ["INSERT"], "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "OUTBOX#"}]}}}}
    assert "DeliverOutbox" in flatten(stream["FunctionName"])


def test_a_failed_delivery_waits_in_the_retry_queue_then_the_dead_letters_which_are_alarmed(
    stage: Synthesized,
) -> None:
    retry_id, retries = queue_named(stage, "outbox-retries")
    dead_id, _ = queue_named(stage, "outbox-dead-letters")
    assert retries["Properties"]["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": [dead_id, "Arn"]}
    mappings = stage.resources("AWS::Lambda::EventSourceMapping").values()
    from_queue = next(
        m["Properties"]
        for m in mappings
        if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [retry_id, "Arn"]}
    )
    assert from_queue["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    watched = [
        alarm
        for alarm in stage.resources("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"]["AlarmName"].endswith("-outbox-dead-letters")
    ]
    assert watched and watched[0]["Properties"]["Dimensions"][0]["Value"] == {
        "Fn::GetAtt": [dead_id, "QueueName"]
    }


def test_only_the_relay_sends_mail_and_only_it_and_the_step_opener_read_the_link_secret(
    stage: Synthesized,
) -> None:
    for logical_id in stage.functions():
        actions = grants(stage, logical_id)
        assert ("ses:SendEmail" in actions) is (logical_id == "DeliverOutbox"), logical_id
        reads_secret = "secretsmanager:GetSecretValue" in actions
        assert reads_secret is (logical_id in {"DeliverOutbox", "RequestDecision", "APIHandler"}), logical_id
        sends_to_queues = "sqs:SendMessage" in actions
        assert sends_to_queues is (logical_id == "DeliverOutbox"), logical_id
    secret_id = next(
        logical_id
        for logical_id, secret in stage.resources("AWS::SecretsManager::Secret").items()
        if secret["Properties"]["Name"].endswith("-link-secret")
    )
    for function_id in ("DeliverOutbox", "RequestDecision"):
        for statement in stage.role_statements(stage.role_of(function_id)):
            if "secretsmanager:GetSecretValue" in as_list(statement["Action"]):
                assert statement["Resource"] == {"Ref": secret_id}, function_id
