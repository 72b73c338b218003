"""Every stage's template passes cfn-lint and cdk-nag's AWS Solutions checks, each exception with a reason."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint

from .conftest import Synthesized

pytestmark = pytest.mark.infra


def test_cfn_lint_finds_no_errors(stage: Synthesized) -> None:
    matches = lint(json.dumps(stage.template), config=ManualArgs(regions=[stage.config.region]))

    errors = [
        f"{m.rule.id} {m.message} at {'/'.join(str(p) for p in m.path)}"
        for m in matches
        if m.rule.id[0] == "E"
    ]
    assert not errors, "\n".join(errors)


def test_cdk_nag_aws_solutions_finds_nothing_unacknowledged(stage: Synthesized) -> None:
    assert not stage.nag_findings, "\n".join(stage.nag_findings)


def test_cdk_template_validation_finds_nothing_unacknowledged(stage: Synthesized) -> None:
    assert not stage.validation_findings, "\n".join(stage.validation_findings)


def acknowledgements(stage: Synthesized) -> list[tuple[str, dict[str, Any]]]:
    return [
        (logical_id, rule)
        for logical_id, resource in stage.template["Resources"].items()
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
