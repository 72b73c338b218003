"""infra/environments.yaml: one entry per stage, and a wrong entry fails naming its stage and field."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.stacks.environment import (
    ENVIRONMENTS_FILE,
    EnvironmentConfigError,
    load_environment,
    load_environments,
    select_stage,
)

pytestmark = pytest.mark.infra


def entries() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(ENVIRONMENTS_FILE.read_text(encoding="utf-8"))
    return document


def write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "environments.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def test_every_stage_of_the_environments_file_is_valid() -> None:
    environments = load_environments()

    assert list(environments) == ["dev", "staging", "prod"]
    assert {config.stack_name for config in environments.values()} == {
        "service-orders-dev",
        "service-orders-staging",
        "service-orders-prod",
    }
    assert environments["prod"].protect_data
    assert not environments["dev"].protect_data


def test_a_missing_field_is_named_with_its_stage(tmp_path: Path) -> None:
    document = entries()
    del document["prod"]["alarm_email"]

    with pytest.raises(EnvironmentConfigError, match=r"prod\.alarm_email: missing"):
        load_environments(write(tmp_path, document))


@pytest.mark.parametrize(
    ("field", "value", "complaint"),
    [
        ("log_retention_days", 42, "retention periods"),
        ("alarm_email", "alarms-at-example.org", "is not an e-mail address"),
        ("account", "12345", "12-digit AWS account id"),
        ("region", "Stockholm", "AWS region name"),
        ("public_base_url", "http://orders.example.org", "https:// URL"),
        ("public_base_url", "https://orders.example.org/", "must not end with '/'"),
        ("decision_timeout_seconds", 10, "greater than or equal to 60"),
        ("decision_timeout_seconds", "a week", "valid integer"),
        ("protect_data", "yes", "valid boolean"),
    ],
)
def test_a_wrong_value_is_named_with_its_stage_and_field(
    tmp_path: Path, field: str, value: object, complaint: str
) -> None:
    document = entries()
    document["staging"][field] = value

    with pytest.raises(EnvironmentConfigError) as raised:
        load_environments(write(tmp_path, document))

    message = str(raised.value)
    assert f"staging.{field}: " in message
    assert complaint in message


def test_a_misspelt_field_is_named_rather_than_ignored(tmp_path: Path) -> None:
    document = entries()
    document["dev"]["log_retention_day"] = 14

    with pytest.raises(
        EnvironmentConfigError, match=r"dev\.log_retention_day: Extra inputs are not permitted"
    ):
        load_environments(write(tmp_path, document))


def test_a_sender_outside_the_sender_domain_is_refused(tmp_path: Path) -> None:
    document = entries()
    document["prod"]["sender_address"] = "no-reply@elsewhere.example.com"

    with pytest.raises(
        EnvironmentConfigError,
        match=r"prod\.sender_domain: does not contain sender_address 'no-reply@elsewhere\.example\.com'",
    ):
        load_environments(write(tmp_path, document))


@pytest.mark.parametrize(
    ("api_domain", "complaint"),
    [
        (
            {
                "domain_name": "orders.example.org",
                "certificate_arn": "arn:aws:acm:us-east-1:333333333333:certificate/"
                "00000000-0000-0000-0000-000000000000",
            },
            "prod.api_domain: certificate_arn must be in the stage's region eu-north-1",
        ),
        (
            {
                "domain_name": "api.example.org",
                "certificate_arn": "arn:aws:acm:eu-north-1:333333333333:certificate/"
                "00000000-0000-0000-0000-000000000000",
            },
            "prod.api_domain: domain_name must be the host of public_base_url",
        ),
        (
            {"domain_name": "orders.example.org", "certificate_arn": "not-an-arn"},
            "prod.api_domain.certificate_arn: is not an ACM certificate ARN",
        ),
    ],
)
def test_an_api_domain_that_cannot_serve_the_links_is_refused(
    tmp_path: Path, api_domain: dict[str, str], complaint: str
) -> None:
    document = entries()
    document["prod"]["api_domain"] = api_domain

    with pytest.raises(EnvironmentConfigError) as raised:
        load_environments(write(tmp_path, document))

    assert complaint in str(raised.value)


def test_an_unknown_stage_lists_the_known_ones() -> None:
    with pytest.raises(EnvironmentConfigError, match=r"no stage 'qa'; known stages: dev, staging, prod"):
        load_environment("qa")


def test_the_command_line_stage_wins_over_the_stage_variable() -> None:
    assert select_stage("prod", {"STAGE": "dev"}) == "prod"
    assert select_stage(None, {"STAGE": "staging"}) == "staging"
    with pytest.raises(EnvironmentConfigError, match="no stage chosen"):
        select_stage(None, {})


def test_the_cdk_entry_point_refuses_a_wrong_stage_before_building(project_root: Path) -> None:
    environment = {**os.environ, "STAGE": "qa", "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "1"}
    environment.pop("CDK_CONTEXT_JSON", None)

    finished = subprocess.run(
        [sys.executable, "app.py"],
        cwd=project_root / "infra",
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert finished.returncode != 0
    assert "no stage 'qa'; known stages: dev, staging, prod" in finished.stderr
