"""Builds the CDK app for one stage; shared by `cdk synth/deploy` (infra/app.py) and tests/infra."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aws_cdk import App, Aspects, Environment
from cdk_nag import AwsSolutionsChecks

from .environment import EnvironmentConfig
from .service_orders_stack import ServiceOrdersStack


@contextmanager
def packaging_environment(build_dir: Path, region: str) -> Iterator[None]:
    """Where `chalice package` may run, and the process as it was afterwards.

    It writes into the working directory, asks botocore for a region, and copies the stage's environment
    variables (CDK tokens here) into os.environ while importing app.py; none of that may outlive the build.
    """
    build_dir.mkdir(parents=True, exist_ok=True)
    previous_dir = Path.cwd()
    previous_environment = dict(os.environ)
    os.chdir(build_dir)
    os.environ["AWS_DEFAULT_REGION"] = region
    try:
        yield
    finally:
        os.chdir(previous_dir)
        os.environ.clear()
        os.environ.update(previous_environment)


def build_stack(app: App, config: EnvironmentConfig, build_dir: Path) -> ServiceOrdersStack:
    with packaging_environment(build_dir, config.region):
        stack = ServiceOrdersStack(app, config, env=Environment(account=config.account, region=config.region))
    # Findings become error annotations, which fail `cdk synth` unless acknowledged with a reason.
    Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return stack
