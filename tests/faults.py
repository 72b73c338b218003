"""Injected failures shared by the tests: a call that dies the first time, as a process would mid-request, and
AWS calls failing at a rate, as AWS's do."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError


def crash_once(monkeypatch: pytest.MonkeyPatch, target: Any, name: str) -> list[int]:
    """Makes `target.name` raise on its first call only; returns the list its calls are counted in."""
    calls: list[int] = []
    original: Callable[..., Any] = getattr(target, name)

    def crashing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("the process died here")
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, crashing)
    return calls


# Failures AWS answers with, as they reach the code once the SDK's own retries are spent.
REFUSALS = ("ThrottlingException", "ServiceUnavailable", "ProvisionedThroughputExceededException")
FAULTED = {
    "dynamodb": {"GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "TransactWriteItems"},
    "ses": {"SendEmail"},
    "sns": {"Publish"},
    "stepfunctions": {"StartExecution", "SendTaskSuccess", "DescribeExecution", "ListExecutions", "StopExecution"},
}
# SES has no idempotency key: a mail SES accepted and whose answer was lost is sent again (at least once), so
# the answer is never lost on SES here; it is refused before it is accepted.
ANSWER_MAY_BE_LOST = {"dynamodb", "sns", "stepfunctions"}


@dataclass
class AwsFaults:
    """Fails `rate` of the application's AWS calls: refused before they reach AWS (throttling, unavailable, a
    connection timeout), or carried out with their answer lost (a read timeout) where the service allows."""

    rate: float
    seed: int
    injected: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def install(self, session: boto3.session.Session) -> boto3.session.Session:
        session.events.register("before-call", self._before)
        session.events.register("after-call", self._after)
        return session

    def _before(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        service, operation = model.service_model.service_name, model.name
        if operation not in FAULTED.get(service, set()):
            return
        with self._lock:
            roll = self._random.random()
        if roll >= self.rate:
            return
        if service in ANSWER_MAY_BE_LOST and roll < self.rate / 3:
            context["answer_lost"] = True  # carried out, then its answer is lost (`_after`)
            return
        with self._lock:
            self.injected[f"{service}:refused"] += 1
        if roll < self.rate * 2 / 3:
            raise ConnectTimeoutError(endpoint_url=f"https://{service}.example")
        code = REFUSALS[int(roll * 1000) % len(REFUSALS)]
        raise ClientError({"Error": {"Code": code, "Message": "injected"}}, operation)

    def _after(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        if not context.pop("answer_lost", False):
            return
        service = model.service_model.service_name
        with self._lock:
            self.injected[f"{service}:answer lost"] += 1
        raise ReadTimeoutError(endpoint_url=f"https://{service}.example")
