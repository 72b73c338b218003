"""`make admin`: a new stage's first Administrator, through the product's own services built by bootstrap from
the stage's settings, on the embedded AWS: the provider organisation if missing, the account in the
Administrator group, and one invitation mail however often it is run."""

from __future__ import annotations

import json
import time
import uuid

import boto3

from chalicelib.bootstrap import bootstrap, container
from chalicelib.shared.identity import Role
from local.embedded_aws import REGION
from scripts.first_admin import first_administrator, settings_from, stage_environment


def test_the_first_administrator_is_added_and_invited_once(aws):
    settings = settings_from(aws.environment, REGION)
    assert settings == container().settings
    email = f"first-{uuid.uuid4().hex[:8]}@provider.example"
    first = first_administrator(bootstrap(settings), email, "Frida First", "Provider AB")
    again = first_administrator(bootstrap(settings), email, "Frida First", "Provider AB")
    assert again == first and first.org_id == "provider" and first.roles == [Role.ADMINISTRATOR]
    listed = aws.client("cognito-idp").admin_list_groups_for_user(UserPoolId=aws.user_pool_id, Username=first.user_id)
    assert {group["GroupName"] for group in listed["Groups"]} == {"Administrator"}
    for _ in range(300):
        mails = [mail for mail in aws.sent_emails() if email in mail["to"]]
        if mails:
            break
        time.sleep(0.02)
    time.sleep(0.3)  # a second invitation, were there one, would be on its way by now
    assert len([mail for mail in aws.sent_emails() if email in mail["to"]]) == 1
    assert "/set-password/" in mails[0]["body"]


def test_the_stages_settings_are_read_from_its_stack(aws):
    """The environment of the stage's app function, found through its CloudFormation stack."""
    stage = f"s{uuid.uuid4().hex[:6]}"
    session = boto3.session.Session(region_name=REGION)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = session.client("iam").create_role(RoleName=f"{stage}-app", AssumeRolePolicyDocument=json.dumps(trust))[
        "Role"
    ]["Arn"]
    template = {
        "Resources": {
            "Other": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": f"{stage}-other",
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": role,
                    "Code": {"ZipFile": "def handler(event, context): pass"},
                },
            },
            "Api": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": f"{stage}-api",
                    "Runtime": "python3.12",
                    "Handler": "app.app",
                    "Role": role,
                    "Code": {"ZipFile": "app = None"},
                    "Environment": {"Variables": dict(aws.environment)},
                },
            },
        }
    }
    session.client("cloudformation").create_stack(
        StackName=f"service-orders-{stage}", TemplateBody=json.dumps(template)
    )
    assert settings_from(stage_environment(stage, session), REGION) == container().settings
