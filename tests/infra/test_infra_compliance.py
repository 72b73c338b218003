"""Every stage's template, as CloudFormation deploys it (the SAM transform expanded), passes cfn-lint,
cdk-nag's AWS Solutions and Serverless packs and checkov; the template as synthesized passes cdk-nag too.
Every exception says why."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

from infra.checks.expanded import CHECKOV_ACKNOWLEDGED

from .conftest import Synthesized

pytestmark = pytest.mark.infra


def test_cfn_lint_finds_no_errors_in_what_is_deployed(stage: Synthesized) -> None:
    matches = lint(json.dumps(stage.expanded), config=ManualArgs(regions=[stage.config.region]))

    errors = [
        f"{m.rule.id} {m.message} at {'/'.join(str(p) for p in m.path)}"
        for m in matches
        if m.rule.id[0] == "E"
    ]
    assert not errors, "\n".join(errors)


def test_cdk_nag_aws_solutions_finds_nothing_unacknowledged(stage: Synthesized) -> None:
    assert not stage.nag_findings, "\n".join(stage.nag_findings)


def test_cdk_nag_aws_solutions_and_serverless_find_nothing_unacknowledged_in_what_is_deployed(
    stage: Synthesized,
) -> None:
    assert not stage.expanded_nag_findings, "\n".join(stage.expanded_nag_findings)


def test_checkov_finds_nothing_unacknowledged_in_what_is_deployed(
    stage: Synthesized, checkov: dict[str, list[str]]
) -> None:
    found = checkov[str(stage.expanded_path)]
    assert not found, "\n".join(found)


def test_every_checkov_acknowledgement_says_why() -> None:
    for check_id, (reason, _) in CHECKOV_ACKNOWLEDGED.items():
        assert len(reason) >= 40, f"{check_id}: {reason!r}"


def test_the_expanded_template_holds_the_api_and_the_functions(stage: Synthesized) -> None:
    """What the checks above judged: SAM's resources turned into the ones CloudFormation creates."""
    assert not [r for r in stage.expanded["Resources"].values() if r["Type"].startswith("AWS::Serverless::")]
    assert "Transform" not in stage.expanded
    assert len(stage.deployed("AWS::Lambda::Function")) == len(stage.functions())
    assert stage.deployed("AWS::ApiGateway::RestApi") and stage.deployed("AWS::ApiGateway::Stage")


def test_cdk_template_validation_finds_nothing_unacknowledged(stage: Synthesized) -> None:
    assert not stage.validation_findings, "\n".join(stage.validation_findings)


def acknowledgements(stage: Synthesized) -> list[tuple[str, dict[str, Any]]]:
    return [
        (logical_id, rule)
        for template in (stage.template, stage.expanded)
        for logical_id, resource in template["Resources"].items()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]


def test_every_acknowledged_finding_says_why(stage: Synthesized) -> None:
    found = acknowledgements(stage)

    assert found, "cdk-nag acknowledgements are written to the template's metadata"
    for logical_id, rule in found:
        assert len(rule["reason"]) >= 40, f"{logical_id} {rule['id']}: {rule['reason']!r}"


def test_wildcard_acknowledgements_name_the_finding_they_cover(stage: Synthesized) -> None:
    # A bare IAM5 acknowledgement would also hide wildcards added later; each must say which one it covers.
    for logical_id, rule in acknowledgements(stage):
        if rule["id"] == "AwsSolutions-IAM5":
            assert rule.get("applies_to"), f"{logical_id} acknowledges every IAM5 finding"
