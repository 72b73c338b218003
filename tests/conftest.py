"""The embedded AWS stack, the demo directory, and people who sign in and read their own mail and SMS."""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.bootstrap import container
from chalicelib.observability import logger
from local.embedded_aws import EmbeddedAws, embedded_aws
from local.people import Person
from local.run import seed_demo, serving
from tests.leaks import Secrets


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def aws() -> Iterator[EmbeddedAws]:
    """One embedded AWS for the session; e-mail links point at the port `served` listens on."""
    # Retries wait a thousandth of their time: a task failing throughout reaches operations in seconds.
    with embedded_aws(app, base_url=f"http://127.0.0.1:{free_port()}", retry_time_scale=0.001) as stack:
        seed_demo(stack)
        yield stack
    container.cache_clear()


@pytest.fixture(scope="session")
def handed_out(aws: EmbeddedAws) -> Iterator[Secrets]:
    """The secrets the product hands out (task tokens as they are issued; links and codes from the outbox)."""
    known = Secrets()
    with known.recording_task_tokens():
        yield known


@pytest.fixture(scope="session")
def served(aws: EmbeddedAws) -> Iterator[str]:
    """The product over real HTTP (pages, API, outbox), as `make run` serves it. Yields its base URL."""
    base_url = aws.environment["PUBLIC_BASE_URL"]
    with serving(aws, "127.0.0.1", int(base_url.rsplit(":", 1)[1])):
        yield base_url


@pytest.fixture(scope="session")
def http(aws: EmbeddedAws) -> Iterator[Any]:
    with Client(app) as client:
        yield client.http


@pytest.fixture
def person(http: Any, aws: EmbeddedAws) -> Any:
    def make(user_id: str) -> Person:
        return Person(user_id, http, aws).sign_in()

    return make


class Logs:
    """What the Powertools logger writes, as the JSON lines it writes them."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    @property
    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.startswith("{")]


@pytest.fixture
def logs() -> Iterator[Logs]:
    captured = Logs()
    handler = logging.StreamHandler(captured.stream)
    handler.setFormatter(logger.registered_formatter)
    standard = logging.getLogger(logger.service)
    standard.addHandler(handler)
    yield captured
    standard.removeHandler(handler)


@pytest.fixture
def short_decision_timeout(aws: EmbeddedAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """Human steps that wait two seconds: enough to act in, short enough to watch time out."""
    monkeypatch.setenv("DECISION_TIMEOUT_SECONDS", "2")
    container.cache_clear()
    yield 2
    monkeypatch.undo()
    container.cache_clear()
