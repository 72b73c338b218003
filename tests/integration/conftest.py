"""Every integration test fails if anything secret reached a log line while it ran (tests/leaks.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.embedded_aws import EmbeddedAws
from tests.leaks import LogCapture, Secrets, leaks


@pytest.fixture(autouse=True)
def nothing_secret_is_logged(aws: EmbeddedAws, handed_out: Secrets) -> Iterator[LogCapture]:
    with LogCapture().attached() as captured:
        yield captured
    handed_out.read(aws)
    found = leaks(captured.text, handed_out)
    assert not found, f"secrets in the logs: {sorted(set(found))}"
