"""Every stage synthesized once per session, with the helpers the infrastructure tests read templates by."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# jsii prints a banner about the Node.js version on every start; it says nothing about the templates.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

from aws_cdk import App
from aws_cdk.assertions import Annotations, Match, Template

from infra.checks.expanded import acknowledge, checkov_findings, expand, nag_findings
from infra.stacks.assembly import build_stack
from infra.stacks.environment import EnvironmentConfig, load_environments
from infra.stacks.service_orders_stack import ServiceOrdersStack

STAGES = ("dev", "staging", "prod")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "infra: synthesizes the CDK app in infra/ and checks its templates")


@dataclass(frozen=True)
class Synthesized:
    """One stage's synthesized stack: the assertions API and the plain template side by side."""

    config: EnvironmentConfig
    stack: ServiceOrdersStack
    assertions: Any  # aws_cdk.assertions.Template
    template: dict[str, Any]
    nag_findings: list[str]  # cdk-nag errors and warnings nobody acknowledged
    validation_findings: list[str]  # CDK's own template validation, unacknowledged
    expanded: dict[str, Any]  # the template with the SAM transform expanded, as CloudFormation deploys it
    expanded_nag_findings: list[str]  # cdk-nag's AWS Solutions and Serverless packs over `expanded`
    expanded_path: Path  # `expanded`, written out for checkov

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type
        }

    def properties(self, logical_id: str) -> dict[str, Any]:
        properties: dict[str, Any] = self.template["Resources"][logical_id].get("Properties", {})
        return properties

    def deployed(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Resources of a type in the expanded template: what CloudFormation will create."""
        return {
            logical_id: resource
            for logical_id, resource in self.expanded["Resources"].items()
            if resource["Type"] == resource_type
        }

    def functions(self) -> dict[str, dict[str, Any]]:
        """The Chalice app's functions, by their `chalice package` name (APIHandler, RequestDecision, ...)."""
        return {
            logical_id: resource["Properties"]
            for logical_id, resource in self.resources("AWS::Serverless::Function").items()
        }

    def role_of(self, function_logical_id: str) -> str:
        role = self.functions()[function_logical_id]["Role"]
        assert isinstance(role, dict) and "Fn::GetAtt" in role, (
            f"{function_logical_id} has no role of its own"
        )
        role_id: str = role["Fn::GetAtt"][0]
        return role_id

    def role_statements(self, role_logical_id: str) -> list[dict[str, Any]]:
        statements: list[dict[str, Any]] = []
        for policy in self.properties(role_logical_id).get("Policies", []):
            statements += policy["PolicyDocument"]["Statement"]
        for policy in self.resources("AWS::IAM::Policy").values():
            if {"Ref": role_logical_id} in policy["Properties"].get("Roles", []):
                statements += policy["Properties"]["PolicyDocument"]["Statement"]
        return statements

    def all_statements(self) -> list[tuple[str, dict[str, Any]]]:
        found: list[tuple[str, dict[str, Any]]] = []
        for logical_id, role in self.resources("AWS::IAM::Role").items():
            for policy in role["Properties"].get("Policies", []):
                found += [(logical_id, statement) for statement in policy["PolicyDocument"]["Statement"]]
        for logical_id, policy in self.resources("AWS::IAM::Policy").items():
            found += [
                (logical_id, statement) for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            ]
        return found

    def only(self, resource_type: str) -> tuple[str, dict[str, Any]]:
        resources = self.resources(resource_type)
        assert len(resources) == 1, f"expected one {resource_type}, found {sorted(resources)}"
        logical_id, resource = next(iter(resources.items()))
        return logical_id, resource


def validation_findings(cloud_assembly: Path) -> list[str]:
    report = cloud_assembly / "validation-report.json"
    if not report.exists():
        return []
    plugins = json.loads(report.read_text(encoding="utf-8")).get("pluginReports", [])
    return [
        f"{plugin['pluginName']} {violation['ruleName']}: {violation['description']}"
        for plugin in plugins
        for violation in plugin.get("violations", [])
    ]


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Synthesized]]:
    """Each stage once: `chalice package` reuses .chalice/deployments after the first, so this stays quick."""
    environments = load_environments()
    missing = set(STAGES) - environments.keys()
    assert not missing, f"infra/environments.yaml lacks stages {sorted(missing)}"
    build_dir = tmp_path_factory.mktemp("chalice-build")
    result: dict[str, Synthesized] = {}
    for stage in STAGES:
        app = App(outdir=str(tmp_path_factory.mktemp(f"cdk-out-{stage}")))
        stack = build_stack(app, environments[stage], build_dir)
        assembly = app.synth()
        annotations = Annotations.from_stack(stack)
        nag_rule = Match.string_like_regexp("AwsSolutions-.*")
        findings = [*annotations.find_error("*", nag_rule), *annotations.find_warning("*", nag_rule)]
        template = assembly.get_stack_by_name(stack.stack_name).template
        config = environments[stage]
        expanded = acknowledge(expand(template, config.region), template)
        expanded_path = tmp_path_factory.mktemp(f"expanded-{stage}") / f"{stack.stack_name}.expanded.json"
        expanded_path.write_text(json.dumps(expanded, indent=1), encoding="utf-8")
        result[stage] = Synthesized(
            config=config,
            stack=stack,
            assertions=Template.from_stack(stack),
            template=template,
            nag_findings=[f"{finding.id}: {finding.entry.data}" for finding in findings],
            validation_findings=validation_findings(Path(assembly.directory)),
            expanded=expanded,
            expanded_nag_findings=nag_findings(expanded, config.account, config.region, stack.stack_name),
            expanded_path=expanded_path,
        )
    yield result


@pytest.fixture(scope="session")
def checkov(synthesized: dict[str, Synthesized]) -> dict[str, list[str]]:
    """checkov over every stage's expanded template in one run (it takes seconds to start)."""
    return checkov_findings([synthesized[stage].expanded_path for stage in STAGES])


@pytest.fixture(params=STAGES)
def stage(request: pytest.FixtureRequest, synthesized: dict[str, Synthesized]) -> Synthesized:
    result: Synthesized = synthesized[request.param]
    return result


@pytest.fixture
def prod(synthesized: dict[str, Synthesized]) -> Synthesized:
    return synthesized["prod"]


@pytest.fixture
def dev(synthesized: dict[str, Synthesized]) -> Synthesized:
    return synthesized["dev"]


@pytest.fixture(scope="session")
def project_root() -> Path:
    return Path(__file__).resolve().parents[2]
