"""CDK entry point: `cdk synth|deploy -c stage=<dev|staging|prod>` (or STAGE=...) from infra/."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from aws_cdk import App

# The stacks read the names, roles and table schema the application defines (chalicelib/).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stacks.assembly import build_stack
from stacks.environment import EnvironmentConfigError, load_environment, select_stage

# `chalice package` output; the asset is staged into cdk.out during synth, so old builds are dead weight.
BUILD_DIR = Path(__file__).resolve().parent / ".chalice-build"


def main() -> None:
    app = App()
    config = load_environment(select_stage(app.node.try_get_context("stage")))
    shutil.rmtree(BUILD_DIR, ignore_errors=True)
    build_stack(app, config, BUILD_DIR)
    app.synth()


if __name__ == "__main__":
    try:
        main()
    except EnvironmentConfigError as error:
        # The message names the stage and field; a traceback would only bury it.
        sys.exit(f"infra: {error}")
