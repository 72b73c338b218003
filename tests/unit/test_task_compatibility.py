"""In-flight orders keep their definition but call the tasks' aliases, so the code deployed last: each task's
code accepts every payload a running definition may send, and answers with what those definitions read
(statemachines/task_payloads.json; docs/decisions.md, "In-flight orders call the tasks' aliases")."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from chalicelib.approvals.model import Outcome
from chalicelib.manifest import ORDER_WORKFLOW_FILE, WORKFLOW_TASKS
from chalicelib.ordering.executions import CASE_CREATION
from chalicelib.ordering.model import Step

ROOT = Path(__file__).resolve().parents[2]
PINNED: dict[str, Any] = json.loads((ROOT / "statemachines" / "task_payloads.json").read_text(encoding="utf-8"))
TASKS_MODULE = ROOT / "chalicelib" / "entrypoints" / "tasks.py"


def sent_by_the_definition() -> dict[str, set[frozenset[str]]]:
    """Each task's payloads in the current definition, by the task's name."""
    definition = json.loads((ROOT / ORDER_WORKFLOW_FILE).read_text(encoding="utf-8"))
    by_placeholder = {f"${{{task.placeholder}}}": task.name for task in WORKFLOW_TASKS}
    found: dict[str, set[frozenset[str]]] = {}
    for state in definition["States"].values():
        if state["Type"] != "Task":
            continue
        parameters = state["Parameters"]
        keys = frozenset(key.removesuffix(".$") for key in parameters["Payload"])
        found.setdefault(by_placeholder[parameters["FunctionName"]], set()).add(keys)
    return found


def required_keys() -> dict[str, set[str]]:
    """The keys each task handler reads as `event["..."]` (a missing one fails the task); `event.get` may miss."""
    tree = ast.parse(TASKS_MODULE.read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {}
    for function in tree.body:
        if not isinstance(function, ast.FunctionDef) or function.name not in {t.name for t in WORKFLOW_TASKS}:
            continue
        found[function.name] = {
            node.slice.value
            for node in ast.walk(function)
            if isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id == "event"
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        }
    return found


def test_every_payload_the_definition_sends_is_pinned():
    """A new payload (a field added, renamed or dropped) is added to the pinned list, never replaces one there:
    executions started before the release still send the old one."""
    pinned = {task: {frozenset(keys) for keys in payloads} for task, payloads in PINNED["payloads"].items()}
    assert set(pinned) == {task.name for task in WORKFLOW_TASKS}
    for task, payloads in sent_by_the_definition().items():
        assert payloads <= pinned[task], f"{task}: pin {sorted(map(sorted, payloads - pinned[task]))}"


def test_each_task_requires_only_what_every_pinned_payload_carries():
    required = required_keys()
    assert set(required) == {task.name for task in WORKFLOW_TASKS}
    for task, keys in required.items():
        for payload in PINNED["payloads"][task]:
            assert keys <= set(payload), f"{task} requires {sorted(keys - set(payload))}, absent from {payload}"


def test_decision_answers_keep_what_the_definitions_choose_by():
    """The definitions choose by $.decision.outcome; its values stay those the Choice states compare with."""
    definition = (ROOT / ORDER_WORKFLOW_FILE).read_text(encoding="utf-8")
    assert '"Variable": "$.decision.outcome"' in definition
    assert set(PINNED["reads"]["decision"]["outcome"]) == {outcome.value for outcome in Outcome}
    read_paths = {line.split('"')[3] for line in definition.splitlines() if '"Variable": "$.' in line}
    # $.flow, $.awaits_orderer_approval and $.resume_at are the execution's input (ordering.services.workflow_input),
    # not a task's answer.
    assert read_paths == {"$.flow", "$.awaits_orderer_approval", "$.resume_at", "$.decision.outcome"}, (
        "a new path read from a task's answer: pin it"
    )


def test_a_resumed_order_enters_at_every_place_it_can_stand():
    """`resume_at(order)` names a step of a chain, or case creation; the first state enters the task of each
    (chalicelib/ordering/resumption.py), and a first start (no resume_at) goes on to the flow's route."""
    definition = json.loads((ROOT / ORDER_WORKFLOW_FILE).read_text(encoding="utf-8"))
    first = definition["States"][definition["StartAt"]]
    entries = {
        next(rule["StringEquals"] for rule in choice["And"] if "StringEquals" in rule): choice["Next"]
        for choice in first["Choices"]
    }
    assert entries == {
        **{step.value: "".join(word.title() for word in step.value.split("_")) for step in Step},
        CASE_CREATION: "OrdererCleared",  # R-REQ-3: the orderer's check comes before the case
    }
    assert all(definition["States"][state]["Type"] == "Task" for state in entries.values() if state != "OrdererCleared")
    assert definition["States"]["OrdererCleared"]["Default"] == "CreateCase"
    assert first["Default"] == "RouteByFlow"
