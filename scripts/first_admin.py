"""The first person of a new stage (`make admin STAGE=... EMAIL=... NAME=...`): the provider organisation, if it
is missing, and its first Administrator, who is e-mailed the invitation to choose a password. Everyone after
them is added through the product (docs/people.md).

It runs the product's own services, built by bootstrap from the stage's settings: the environment of the
stage's API function, read from its CloudFormation stack. Run again, it adds nobody else and sends no second
invitation.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

import boto3

from chalicelib.bootstrap import Container, bootstrap
from chalicelib.directory.model import Organisation, OrganisationKind
from chalicelib.settings import Settings
from chalicelib.shared.identity import Person
from chalicelib.shared.languages import Language

PROVIDER_ID = "provider"
# What marks the function whose environment is the product's settings (every handler of the app has them).
SETTINGS_MARKS = ("TABLE_NAME", "COGNITO_USER_POOL_ID", "PUBLIC_BASE_URL")


def stack_name(stage: str) -> str:
    return f"service-orders-{stage}"


def stage_environment(stage: str, session: Any) -> dict[str, str]:
    """The environment of one of the stage's app functions, as CloudFormation and Lambda know it."""
    cloudformation = session.client("cloudformation")
    functions = session.client("lambda")
    resources = cloudformation.describe_stack_resources(StackName=stack_name(stage))["StackResources"]
    for resource in resources:
        if resource["ResourceType"] != "AWS::Lambda::Function":
            continue
        configuration = functions.get_function_configuration(FunctionName=resource["PhysicalResourceId"])
        variables = dict(configuration.get("Environment", {}).get("Variables", {}))
        if all(mark in variables for mark in SETTINGS_MARKS):
            return variables
    raise SystemExit(f"No function of {stack_name(stage)} has the app's settings: is the stage deployed?")


def settings_from(environment: Mapping[str, str], region: str) -> Settings:
    """The settings the stage's functions run with (Lambda sets AWS_REGION itself, so it is given here)."""
    values: dict[str, Any] = {name.lower(): value for name, value in environment.items() if name != "AWS_REGION"}
    return Settings.model_validate({**values, "AWS_REGION": region})


def first_administrator(
    container: Container, email: str, name: str, organisation_name: str, language: Language = Language.SV
) -> Person:
    """The provider organisation (saved if missing) and its first administrator, invited by e-mail."""
    provider = container.adapters.directory.organisation(PROVIDER_ID) or Organisation(
        org_id=PROVIDER_ID, name=organisation_name, kind=OrganisationKind.PROVIDER
    )
    return container.people.first_administrator(provider, name, email, language)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--organisation", default="Provider", help="the provider's name, if it is missing")
    parser.add_argument("--language", default=Language.SV.value, choices=[each.value for each in Language])
    arguments = parser.parse_args(argv)
    session = boto3.session.Session(region_name=arguments.region)
    settings = settings_from(stage_environment(arguments.stage, session), arguments.region)
    person = first_administrator(
        bootstrap(settings), arguments.email, arguments.name, arguments.organisation, Language(arguments.language)
    )
    print(f"{person.name} ({person.user_id}) is the administrator of {person.org_id}; the invitation is on its way.")


if __name__ == "__main__":
    main()
