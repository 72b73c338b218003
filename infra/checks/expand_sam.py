"""Expands the AWS::Serverless-2016-10-31 transform of a template offline, as CloudFormation would on deploy.

Run by the template checks' own interpreter (.venv-checks, infra/requirements-checks.txt), which has the SAM
translator: `python expand_sam.py <region> < template.json > expanded.json`. It imports nothing of the
project.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    region = sys.argv[1]
    # The translator builds ARNs from the session's region and partition; no call leaves this machine.
    os.environ["AWS_DEFAULT_REGION"] = region
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "offline")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "offline")

    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    template = json.load(sys.stdin)
    # The functions' policies are inline; no managed policy is looked up by name, so the map may stay empty.
    expanded = Translator(managed_policy_map={}, sam_parser=Parser()).translate(
        sam_template=template, parameter_values={"AWS::Region": region}
    )
    json.dump(expanded, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
