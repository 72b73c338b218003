from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.approvals.model import Approval, ApprovalStatus
from chalicelib.approvals.ports import PendingStep, SubjectRef
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.transactions import Transaction

from .store import MemoryStore, paged, staged

PendingKey = tuple[str, str, str, str]


def _pending_key(user_id: str, subject: SubjectRef) -> PendingKey:
    return (user_id, subject.kind, subject.subject_id, subject.step)


@dataclass
class MemoryApprovals:
    store: MemoryStore
    approvals: dict[str, Approval] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    pointers: dict[SubjectRef, str] = field(default_factory=dict)
    pending: dict[PendingKey, PendingStep] = field(default_factory=dict)
    resent: dict[tuple[str, str], int] = field(default_factory=dict)  # (approval key, user id): resends

    def get(self, key: str) -> Approval | None:
        found = self.approvals.get(key)
        return found.model_copy(deep=True) if found else None

    def current(self, subject: SubjectRef) -> Approval | None:
        key = self.pointers.get(subject)
        return self.get(key) if key else None

    def add(
        self, transaction: Transaction, approval: Approval, task_token: str | None, summary: dict[str, str]
    ) -> None:
        approval = approval.model_copy(deep=True)

        def write() -> None:
            self.approvals[approval.key] = approval
            if task_token is not None:
                self.tokens[approval.key] = task_token
            self.pointers[approval.subject] = approval.key
            for user_id in approval.assignees:
                self.pending[_pending_key(user_id, approval.subject)] = PendingStep(
                    user_id=user_id, subject=approval.subject, since=approval.created_at, summary=dict(summary)
                )

        staged(transaction).stage(write, check=lambda: approval.key not in self.approvals)

    def _still_open(self, key: str) -> bool:
        stored = self.approvals.get(key)
        return stored is not None and stored.status is ApprovalStatus.OPEN

    def attach_token(self, transaction: Transaction, approval: Approval, task_token: str) -> None:
        read = approval.status

        def unchanged() -> bool:
            stored = self.approvals.get(approval.key)
            return stored is not None and stored.status is read

        staged(transaction).stage(lambda: self.tokens.__setitem__(approval.key, task_token), check=unchanged)

    def decide(self, transaction: Transaction, approval: Approval) -> None:
        decided = approval.model_copy(deep=True)

        def write() -> None:
            self.approvals[decided.key] = decided
            for user_id in decided.assignees:
                self.pending.pop(_pending_key(user_id, decided.subject), None)

        staged(transaction).stage(write, check=lambda: self._still_open(decided.key))

    def resends(self, key: str, user_id: str) -> int:
        return self.resent.get((key, user_id), 0)

    def add_resend(self, transaction: Transaction, approval: Approval, user_id: str, resends: int) -> None:
        counted = (approval.key, user_id)

        def as_read() -> bool:
            return self._still_open(approval.key) and self.resent.get(counted, 0) == resends

        staged(transaction).stage(lambda: self.resent.__setitem__(counted, resends + 1), check=as_read)

    def task_token(self, key: str) -> str:
        if key not in self.tokens:
            raise LookupError("no task token stored for this approval")
        return self.tokens[key]

    def pending_for(self, user_id: str, page: PageRequest) -> Page[PendingStep]:
        mine = [line.model_copy(deep=True) for key, line in self.pending.items() if key[0] == user_id]
        return paged(mine, lambda line: f"{line.since.isoformat()}#{line.subject.kind}#{line.subject.subject_id}", page)
