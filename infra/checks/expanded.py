"""The synthesized template with the SAM transform expanded, and what cdk-nag and checkov find in it.

The functions and the API reach CloudFormation as AWS::Serverless::* resources, which cdk-nag does not
evaluate and cfn-lint no longer expands. Here the SAM translator (the one CloudFormation runs, in
.venv-checks) expands them offline, the findings' acknowledgements are carried onto the resources SAM
generates, and the checks run over what will really be deployed. Each acknowledgement below says why.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_cdk import App, Aspects, DefaultStackSynthesizer, Environment, Stack
from aws_cdk import cloudformation_include as cfn_include
from aws_cdk.assertions import Annotations, Match
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXPAND_SCRIPT = Path(__file__).with_name("expand_sam.py")
NAG_PACKS = ("AwsSolutions", "Serverless")


def checks_python() -> Path:
    """The interpreter of the template checks' virtualenv (`make .venv-checks/.installed`):
    $TEMPLATE_CHECKS_VENV or .venv-checks in the project."""
    venv = Path(os.environ.get("TEMPLATE_CHECKS_VENV", PROJECT_ROOT / ".venv-checks"))
    python = venv / "bin" / "python"
    if not python.exists():
        raise FileNotFoundError(
            f"{python} is missing: the template checks need their own virtualenv; `make test` makes it "
            "(python3 -m venv .venv-checks && .venv-checks/bin/pip install -r infra/requirements-checks.txt)"
        )
    return python


def expand(template: dict[str, Any], region: str) -> dict[str, Any]:
    """The template as the SAM transform turns it into plain CloudFormation."""
    answer = subprocess.run(  # noqa: S603 - the project's own script on the checks' interpreter
        [str(checks_python()), str(EXPAND_SCRIPT), region],
        input=json.dumps(template),
        capture_output=True,
        text=True,
        check=False,
    )
    if answer.returncode != 0:
        raise RuntimeError(f"the SAM transform failed:\n{answer.stderr}")
    expanded: dict[str, Any] = json.loads(answer.stdout)
    return expanded


# What SAM generates on its own (not under a name of the SAM template) has no metadata; these findings are
# acknowledged on it by resource type, each with its reason.
GENERATED_ACKNOWLEDGEMENTS: dict[str, list[tuple[str, str]]] = {
    "AWS::Events::Rule": [
        (
            "Serverless-EventBusDLQ",
            "The reconciliation's schedule: a run that fails is repeated by the next one 15 minutes later, "
            "and its errors are alarmed; a dead-letter queue of missed ticks would hold nothing to act on.",
        )
    ],
}
# Only where the stage's `waf` setting is off (dev): the stage has no web ACL to find.
WITHOUT_WAF = (
    "AwsSolutions-APIG3",
    "AWS WAF is associated with the stage where the stage's `waf` setting is on (staging and prod, held by "
    "tests/infra); dev is reached by its developers only and pays for no web ACL.",
)


def acknowledge(expanded: dict[str, Any], sam_template: dict[str, Any]) -> dict[str, Any]:
    """Carries each SAM resource's acknowledgements to the resource SAM generated under its name, and adds
    those of the resources SAM generates on its own."""
    resources = expanded["Resources"]
    for logical_id, resource in sam_template["Resources"].items():
        if not resource["Type"].startswith("AWS::Serverless::") or logical_id not in resources:
            continue
        metadata = resource.get("Metadata")
        if metadata:
            resources[logical_id]["Metadata"] = {**resources[logical_id].get("Metadata", {}), **metadata}
    has_waf = any(r["Type"] == "AWS::WAFv2::WebACLAssociation" for r in resources.values())
    for logical_id, resource in resources.items():
        if logical_id in sam_template["Resources"]:
            continue
        reasons = list(GENERATED_ACKNOWLEDGEMENTS.get(resource["Type"], []))
        if resource["Type"] == "AWS::ApiGateway::Stage" and not has_waf:
            reasons.append(WITHOUT_WAF)
        if reasons:
            rules = (
                resource.setdefault("Metadata", {})
                .setdefault("cdk_nag", {})
                .setdefault("rules_to_suppress", [])
            )
            rules += [{"id": rule, "reason": reason} for rule, reason in reasons]
    return expanded


def nag_findings(expanded: dict[str, Any], account: str, region: str, stack_name: str) -> list[str]:
    """cdk-nag's AWS Solutions and Serverless packs over the expanded template: what nobody acknowledged."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "expanded.json"
        path.write_text(json.dumps(expanded), encoding="utf-8")
        app = App(outdir=str(Path(directory) / "out"))
        # The included template brings the bootstrap version check along; the stack must not add a second.
        synthesizer = DefaultStackSynthesizer(generate_bootstrap_version_rule=False)
        stack = Stack(
            app, stack_name, env=Environment(account=account, region=region), synthesizer=synthesizer
        )
        cfn_include.CfnInclude(stack, "Expanded", template_file=str(path), preserve_logical_ids=True)
        Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
        Aspects.of(app).add(ServerlessChecks(verbose=True))
        app.synth()
        annotations = Annotations.from_stack(stack)
        found = []
        for pack in NAG_PACKS:
            rule = Match.string_like_regexp(f"{pack}-.*")
            found += [*annotations.find_error("*", rule), *annotations.find_warning("*", rule)]
        return sorted({f"{finding.id}: {finding.entry.data}" for finding in found})


# checkov's checks that do not apply here, by id, each with its reason. A finding is acknowledged only for the
# resources named, or for every resource of the template when the list is empty.
_LAMBDA_DLQ = (
    "Every invocation but the schedule's is synchronous (API Gateway, the state machine with its Retry and "
    "Catch, event source mappings with their own failure destination); a DLQ serves asynchronous calls only, "
    "and a failed reconciliation run is repeated by the next one 15 minutes later, its errors alarmed."
)
CHECKOV_ACKNOWLEDGED: dict[str, tuple[str, tuple[str, ...]]] = {
    "CKV_AWS_116": (_LAMBDA_DLQ, ()),
    "CKV_AWS_117": (
        "The functions call only AWS APIs, over TLS and IAM; there is no private resource to reach, and a "
        "VPC would add NAT or endpoints for nothing.",
        (),
    ),
    "CKV_AWS_115": (
        "The API function is bounded by the stage's API Gateway throttle, the authorizer by the API, and the "
        "reconciliation runs once per quarter hour; the workflow's functions have reservations of their own "
        "where the stage sets reserved_concurrency (staging, prod; held by tests/infra), and dev's quota of "
        "10 leaves nothing to reserve.",
        (),
    ),
    "CKV_AWS_173": (
        "The environment holds names, ARNs and limits, no secret (the link secret is read from Secrets "
        "Manager); Lambda encrypts it at rest with its AWS managed key.",
        (),
    ),
    "CKV_AWS_158": (
        "The logs hold no secret (a test fails any that would: tests/leaks.py) and CloudWatch Logs encrypts "
        "every group at rest; a customer managed key per group would add cost and key policy for no "
        "reader less.",
        (),
    ),
    "CKV_AWS_111": (
        "sns:Publish to a phone number (one-time codes, R-ORD-4) has no resource ARN to constrain it to.",
        ("APIHandlerRole96DAA1D3",),
    ),
    "CKV_AWS_119": (
        "The tables are encrypted at rest with DynamoDB's AWS managed key; a customer managed key would add "
        "key administration and cost without a stakeholder who requires it.",
        (),
    ),
    "CKV_AWS_166": (
        "The vault encrypts backups with AWS Backup's managed key; copies leave the account only by a "
        "person's restore, which IAM governs.",
        (),
    ),
    "CKV_AWS_27": (
        "The queues use SQS-managed server-side encryption (SSE-SQS); checkov counts only KMS keys.",
        (),
    ),
    "CKV_AWS_149": (
        "The link secret and the identity key are encrypted with Secrets Manager's AWS managed key; only the "
        "functions that use each may read it (tests/infra).",
        (),
    ),
    "CKV_AWS_18": (
        "The bucket of the invoice bucket's server access logs; logging its own access would need a third "
        "bucket, and so on.",
        ("BookingsInvoiceAccessLogs6F9B9E8B",),
    ),
    "CKV_AWS_120": (
        "Every answer is for one signed-in person or one decision link and must never be served from a "
        "cache.",
        (),
    ),
}


def checkov_findings(templates: Sequence[Path]) -> dict[str, list[str]]:
    """checkov's failed CloudFormation checks per template, less the acknowledged ones."""
    checkov = checks_python().parent / "checkov"
    arguments = [str(checkov), "--framework", "cloudformation", "--output", "json", "--compact", "--quiet"]
    for template in templates:
        arguments += ["--file", str(template)]
    answer = subprocess.run(  # noqa: S603 - checkov from the checks' virtualenv over our own templates
        arguments, capture_output=True, text=True, check=False, env={**os.environ, "BC_SKIP_MAPPING": "TRUE"}
    )
    if answer.returncode not in (0, 1):
        raise RuntimeError(f"checkov failed:\n{answer.stderr[-4000:]}")
    reports = json.loads(answer.stdout) if answer.stdout.strip() else []
    if isinstance(reports, dict):
        reports = [reports]
    found: dict[str, list[str]] = {str(template): [] for template in templates}
    for report in reports:
        for failed in report.get("results", {}).get("failed_checks", []):
            check_id = failed["check_id"]
            resource = failed["resource"].split(".", 1)[-1]
            acknowledged = CHECKOV_ACKNOWLEDGED.get(check_id)
            if acknowledged and (not acknowledged[1] or resource in acknowledged[1]):
                continue
            path = failed.get("file_abs_path") or failed.get("file_path", "")
            found.setdefault(str(path), []).append(f"{check_id} {failed['check_name']}: {resource}")
    return found
