"""Fakes of what lies outside the table: the workflow engine, mail, and idempotency records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.approvals.ports import TaskClosed
from chalicelib.notifications.ports import Attachment
from chalicelib.ordering.ports import ExecutionStatus
from chalicelib.shared.errors import InProgress, InvalidRequest
from chalicelib.shared.idempotency import IN_PROGRESS, KEY_REUSED
from chalicelib.shared.pagination import Page, PageRequest

from .store import paged


@dataclass
class FakeWorkflow:
    """Implements the workflow engine: executions started by name (once), answers handed to tasks."""

    started: dict[str, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[str, ExecutionStatus] = field(default_factory=dict)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    closed_tasks: set[str] = field(default_factory=set)

    def start(self, name: str, execution_input: dict[str, Any]) -> None:
        if name not in self.started:
            self.started[name] = execution_input
            self.statuses[name] = ExecutionStatus.RUNNING

    def status(self, name: str) -> ExecutionStatus | None:
        return self.statuses.get(name)

    def running(self, page: PageRequest) -> Page[str]:
        names = [name for name, status in self.statuses.items() if status is ExecutionStatus.RUNNING]
        return paged(names, lambda name: name, page)

    def stop(self, name: str, cause: str) -> None:
        if self.statuses.get(name) is ExecutionStatus.RUNNING:
            self.statuses[name] = ExecutionStatus.ABORTED

    def answer(self, task_token: str, output: dict[str, Any]) -> None:
        if task_token in self.closed_tasks or task_token in self.answers:
            raise TaskClosed("TaskTimedOut")
        self.answers[task_token] = output


@dataclass
class SentMail:
    to: list[str]
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


@dataclass
class RecordingMail:
    """Implements `MailSender`: every message sent."""

    sent: list[SentMail] = field(default_factory=list)

    def send(self, to: list[str], subject: str, text: str, html: str, attachments: tuple[Attachment, ...] = ()) -> None:
        self.sent.append(SentMail(list(to), subject, text, html, attachments))

    def to(self, address: str) -> list[SentMail]:
        return [mail for mail in self.sent if address in mail.to]


@dataclass
class MemoryIdempotency:
    records: dict[tuple[str, ...], tuple[dict[str, Any], dict[str, Any] | None]] = field(default_factory=dict)

    def once(
        self, key: list[str], payload: dict[str, Any], produce: Callable[[], dict[str, Any]], lambda_context: Any = None
    ) -> dict[str, Any]:
        recorded = self.records.get(tuple(key))
        if recorded is not None:
            if recorded[0] != payload:
                raise InvalidRequest(KEY_REUSED, field="Idempotency-Key")
            if recorded[1] is None:
                raise InProgress(IN_PROGRESS)
            return recorded[1]
        self.records[tuple(key)] = (payload, None)
        try:
            answer = produce()
        except Exception:
            del self.records[tuple(key)]  # a failed request may be tried again
            raise
        self.records[tuple(key)] = (payload, answer)
        return answer
