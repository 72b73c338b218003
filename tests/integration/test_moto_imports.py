"""moto's Batch package loads when it is used (local/moto_imports.py): the embedded AWS starts without EC2's
instance type tables, and a Batch call still finds every name of the package, from its own code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: what this one has imported already says nothing of what start-up imports.
CHECK = """
import sys
import local.embedded_aws
print("ec2 loaded at start:", "moto.ec2.models.instance_types" in sys.modules)
print("batch models at start:", "moto.batch.models" in sys.modules)
import boto3, moto
with moto.mock_aws():
    batch = boto3.client("batch", region_name="eu-north-1", aws_access_key_id="k", aws_secret_access_key="s")
    print("job queues:", batch.describe_job_queues()["jobQueues"])
    print("unknown queue refused:", batch.describe_jobs(jobs=["nope"])["jobs"])
import moto.batch
print("backends:", type(moto.batch.batch_backends).__name__)
from moto.batch.utils import JobStatus
print("status:", JobStatus.SUCCEEDED.value)
try:
    moto.batch.no_such_name
except AttributeError as error:
    print("missing:", error)
"""


def run(code: str) -> list[str]:
    finished = subprocess.run(  # noqa: S603 - this interpreter over a fixed script
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout.splitlines()


def test_the_embedded_aws_starts_without_batch_and_ec2_and_batch_still_answers():
    assert run(CHECK) == [
        "ec2 loaded at start: False",
        "batch models at start: False",
        "job queues: []",
        "unknown queue refused: []",
        "backends: BackendDict",
        "status: SUCCEEDED",
        "missing: module 'moto.batch' has no attribute 'no_such_name'",
    ]


def test_a_package_already_imported_is_left_as_it_is():
    lines = run(
        "import json, local.moto_imports as m; print(m.defer_init('json') is json)\n"
        "try:\n    m.defer_init('json.nope')\nexcept (ImportError, ModuleNotFoundError) as e: print('refused')\n"
    )
    assert lines == ["True", "refused"]
