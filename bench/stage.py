"""The embedded AWS with the demo directory, signed-in people, and a way to wait until the workflow rests."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.measure import AwsCallLog
from local.embedded_aws import EmbeddedAws
from local.people import Person

PEOPLE = ("olivia.orderer", "hanna.handler", "alva.attester", "adam.attester")


# Longer than the embedded event sources take to hand on a stream record or a queued message (docs/benchmarks.md).
QUIET_SECONDS = 0.5


class TaskTracker:
    """Knows when the workflow's Lambda tasks have finished, so one sample's background work (the
    execution the submit started) does not run into the next sample's timing."""

    def __init__(self, handlers: dict[str, Callable[..., Any]], calls: AwsCallLog) -> None:
        self.finished: Counter[str] = Counter()
        self._calls = calls
        self._running = 0
        self._last_change = time.monotonic()
        self._changed = threading.Condition()
        for name, handler in list(handlers.items()):
            handlers[name] = self._tracked(name, handler)

    def _tracked(self, name: str, handler: Callable[..., Any]) -> Callable[..., Any]:
        def run(event: Any, context: Any) -> Any:
            with self._changed:
                self._running += 1
                self._last_change = time.monotonic()
            try:
                with self._calls.acting(f"task {name}"):
                    return handler(event, context)
            finally:
                with self._changed:
                    self._running -= 1
                    self.finished[name] += 1
                    self._last_change = time.monotonic()
                    self._changed.notify_all()

        return run

    def total(self) -> int:
        with self._changed:
            return sum(self.finished.values())

    def wait_for(self, name: str, more_than: int, timeout: float = 30.0) -> None:
        """Waits until task `name` has finished more than `more_than` times: the point a sample's background work
        must reach before quiet means done (an execution's engine may take longer than `settle`'s quiet to reach
        its first task)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.finished[name] <= more_than:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"task {name} did not run")
                self._changed.wait(left)

    def settle(self, quiet: float = QUIET_SECONDS, timeout: float = 30.0) -> None:
        """Waits until no task runs and none has started or finished for `quiet` seconds: what a submit or a
        decision set off (the outbox's deliveries from the table's stream, the tasks they lead to, their mails)
        has all happened, and the next figure counts only its own work."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._running or time.monotonic() - self._last_change < quiet:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the workflow's tasks did not come to rest")
                self._changed.wait(min(left, quiet))


@dataclass
class Stage:
    aws: EmbeddedAws
    calls: AwsCallLog
    tasks: TaskTracker
    people: dict[str, Person]

    @property
    def table_name(self) -> str:
        return self.aws.environment["TABLE_NAME"]

    @property
    def table_labels(self) -> dict[str, str]:
        """The application table goes unnamed in the report; any other table is named."""
        return {self.table_name: "", self.aws.environment["IDEMPOTENCY_TABLE_NAME"]: "idempotency"}

    def person(self, user_id: str) -> Person:
        return self.people[user_id]

    def execution_arn(self, order_id: str) -> str:
        machine = self.aws.environment["STATE_MACHINE_ARN"]
        return machine.replace(":stateMachine:", ":execution:") + f":{order_id}"


# Route patterns, never paths: ids would make every request its own row.
PATH_IDS = (
    (re.compile(r"/approvals/[A-Za-z0-9_-]{20,64}"), "/approvals/<id>"),
    (re.compile(r"/orders/[0-9a-f]{32}"), "/orders/<id>"),
)


def route(method: str, path: str) -> str:
    for pattern, replacement in PATH_IDS:
        path = pattern.sub(replacement, path)
    return f"{method} {path.split('?')[0]}"


def prepare(aws: EmbeddedAws, calls: AwsCallLog, http: Any) -> Stage:
    tracker = TaskTracker(aws.dispatcher.handlers, calls)
    people = {
        user_id: Person(user_id, http, aws, lambda method, path: calls.acting(route(method, path))).sign_in()
        for user_id in PEOPLE
    }
    return Stage(aws=aws, calls=calls, tasks=tracker, people=people)
