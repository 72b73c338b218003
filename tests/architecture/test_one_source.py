"""Facts written once and held together: the workflow's tasks and its retry rule, the error statuses, the
composition root, and what app.py may be."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest

from app import app
from chalicelib.bootstrap import ADAPTERS
from chalicelib.entrypoints.http import STATUS
from chalicelib.manifest import DELIVER_OUTBOX, ORDER_WORKFLOW_FILE, PROCESS_BOOKING_EVENTS, WORKFLOW_TASKS
from chalicelib.shared.errors import error_kinds
from tests.fakes.world import World

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = json.loads((ROOT / ORDER_WORKFLOW_FILE).read_text())


def task_states() -> dict[str, dict[str, Any]]:
    return {name: state for name, state in DEFINITION["States"].items() if state["Type"] == "Task"}


def test_every_task_leaves_the_domains_refusals_unretried_and_retries_the_rest():
    """A refusal (InvalidRequest, AlreadyDone…) fails the same way however often it is tried."""
    refusals = {kind.__name__ for kind in error_kinds() if not kind.retry_helps}
    retried = {kind.__name__ for kind in error_kinds() if kind.retry_helps}
    assert refusals and retried
    for name, state in task_states().items():
        never = {error for rule in state["Retry"] if rule["MaxAttempts"] == 0 for error in rule["ErrorEquals"]}
        assert never - {"States.Timeout", "States.HeartbeatTimeout"} == refusals, name
        assert not never & retried, name
        assert state["Retry"][-1]["ErrorEquals"] == ["States.ALL"] and state["Retry"][-1]["MaxAttempts"] > 0, name


def test_every_refusal_has_its_http_status():
    assert set(error_kinds()) == set(STATUS)


def test_the_workflow_calls_exactly_the_tasks_the_app_declares():
    placeholders = set(re.findall(r"\$\{(\w+)\}", (ROOT / ORDER_WORKFLOW_FILE).read_text()))
    assert placeholders == {task.placeholder for task in WORKFLOW_TASKS}
    declared = {function.name for function in app.pure_lambda_functions}
    assert {task.name for task in WORKFLOW_TASKS} <= declared
    assert declared - {task.name for task in WORKFLOW_TASKS} == {DELIVER_OUTBOX.name, PROCESS_BOOKING_EVENTS.name}


def test_app_py_is_wiring_only():
    source = (ROOT / "app.py").read_text()
    assert len(source.splitlines()) < 120
    imported = {node.module or "" for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)} | {
        alias.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Import) for alias in node.names
    }
    assert imported - {"__future__"} <= {"chalice.app", "chalicelib.manifest"} | {
        module for module in imported if module.startswith("chalicelib.entrypoints.")
    }
    assert not [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.FunctionDef)]


def test_bootstrap_with_every_adapter_replaced_touches_no_aws(monkeypatch):
    def no_aws(*args, **kwargs):
        raise AssertionError("a boto3 session was made although every adapter was replaced")

    monkeypatch.setattr(boto3.session, "Session", no_aws)
    world = World()
    assert all(getattr(world.app.adapters, name) is not None for name in ADAPTERS)
    assert world.app.orders.catalogue().version >= 1


def test_an_unknown_override_is_refused():
    with pytest.raises(TypeError, match="no such adapter"):
        World().build_with(tables="oops")


def test_task_functions_behave_deployed_as_they_do_locally():
    """Deployed, a task's handler is its blueprint's module (app.py is never imported), so the app may hold
    no middleware that task functions would run locally but not on AWS."""
    assert {event_type for _, event_type in app.middleware_handlers} == {"http"}
    for function in app.pure_lambda_functions:
        module = (
            "tasks"
            if function.name in {task.name for task in WORKFLOW_TASKS}
            else "booking_events"
            if function.name == PROCESS_BOOKING_EVENTS.name
            else "outbox"
        )
        assert function.handler_string == f"chalicelib.entrypoints.{module}.{function.name}"
