"""The cold-start figure's first request (bench/cold_start.py) builds what a real first submit builds: the same
services and adapters of the composition root, so the figure times what a cold API function does."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from bench.cold_start import FIRST_REQUEST_BUILDS
from chalicelib import bootstrap
from chalicelib.bootstrap import ADAPTERS, container
from local.people import via_agent_order

# Deployed, the authorizer is a Lambda function of its own (docs/architecture.md): what it builds is not the API
# function's. Run in-process here, it builds the token verifier.
THE_AUTHORIZERS = {"verifier"}


@pytest.fixture
def built_by_this_thread(aws, monkeypatch) -> Iterator[set[str]]:
    """What this thread builds of a container: the API's requests run here (the Chalice test client), while the
    other functions (the outbox, the workflow's tasks) run in the embedded AWS's threads, as other Lambdas."""
    here, built = threading.get_ident(), set()
    service, adapter = bootstrap._Once.__get__, vars(bootstrap.Adapters)["__getattr__"]

    def service_built(self: Any, made: Any, owner: Any = None) -> Any:
        if made is not None and threading.get_ident() == here and self._name not in vars(made):
            built.add(self._name)
        return service(self, made, owner)

    def adapter_built(self: Any, name: str) -> Any:
        if threading.get_ident() == here and name in ADAPTERS:
            built.add(f"adapters.{name}")
        return adapter(self, name)

    monkeypatch.setattr(bootstrap._Once, "__get__", service_built)
    monkeypatch.setattr(bootstrap.Adapters, "__getattr__", adapter_built)
    container.cache_clear()
    yield built
    monkeypatch.undo()
    container.cache_clear()


def test_the_benchmarks_first_request_builds_what_a_first_submit_builds(person, built_by_this_thread):
    olivia = person("olivia.orderer")
    built_by_this_thread.clear()
    container.cache_clear()  # a cold API function: its first request is the submit
    assert olivia.submit(via_agent_order()).status == 201
    submitted = set(built_by_this_thread) - {f"adapters.{name}" for name in THE_AUTHORIZERS}

    built_by_this_thread.clear()
    benched = bootstrap.bootstrap()
    for name in FIRST_REQUEST_BUILDS["services"]:
        getattr(benched, name)
    for name in FIRST_REQUEST_BUILDS["adapters"]:
        getattr(benched.adapters, name)
    assert built_by_this_thread == submitted
    assert {"orders", "directory", "adapters.idempotency", "adapters.workflow"} <= submitted
