"""Builds the CDK app for one stage; shared by `cdk synth/deploy` (infra/app.py) and tests/infra."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aws_cdk import App, Aspects, Environment
from cdk_nag import AwsSolutionsChecks
from chalice.config import Config

from .environment import EnvironmentConfig
from .package import stage_source
from .service_orders_stack import PROJECT_ROOT, ServiceOrdersStack

# What the functions run on (Amazon Linux 2023). Chalice takes the runtime, and the ABI of the wheels it puts
# in the deployment package, from the Python that runs it; the development machines have 3.11, so packaging is
# told (docs/decisions.md, 2026-12-01 "Functions on Python 3.12, packaged with its wheels from a 3.11
# machine").
LAMBDA_RUNTIME = "python3.12"


@contextmanager
def packaging_environment(build_dir: Path, region: str) -> Iterator[None]:
    """Where `chalice package` may run, and the process as it was afterwards.

    It writes into the working directory, asks botocore for a region, and copies the stage's environment
    variables (CDK tokens here) into os.environ while importing app.py; none of that may outlive the build.
    """
    build_dir.mkdir(parents=True, exist_ok=True)
    previous_dir = Path.cwd()
    previous_environment = dict(os.environ)
    python_version = vars(Config)["lambda_python_version"]
    os.chdir(build_dir)
    os.environ["AWS_DEFAULT_REGION"] = region
    # Chalice offers no setting for the runtime: its Config answers with the running interpreter's version,
    # which picks both the template's Runtime and the cpXY wheels its dependency builder downloads for Lambda.
    Config.lambda_python_version = property(lambda self: LAMBDA_RUNTIME)  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        Config.lambda_python_version = python_version  # type: ignore[method-assign]
        os.chdir(previous_dir)
        os.environ.clear()
        os.environ.update(previous_environment)


def build_stack(app: App, config: EnvironmentConfig, build_dir: Path) -> ServiceOrdersStack:
    source = stage_source(PROJECT_ROOT, build_dir, LAMBDA_RUNTIME)
    with packaging_environment(build_dir, config.region):
        stack = ServiceOrdersStack(
            app, config, source_dir=source, env=Environment(account=config.account, region=config.region)
        )
    # Findings become error annotations, which fail `cdk synth` unless acknowledged with a reason.
    Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return stack
