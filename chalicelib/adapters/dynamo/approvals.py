"""Decision steps' items: the approval behind a link, its task token, the step's pointer to its latest
approval, the assignees' pending lines, and how often each assignee had the request mail sent again
(docs/data-model.md)."""

from __future__ import annotations

from chalicelib.adapters.dynamo.table import DynamoTable, Item, expires_a_day_after, staged, without_bookkeeping
from chalicelib.approvals.model import Approval, ApprovalStatus, PendingStep, SubjectRef
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.transactions import Transaction


def approval_item_key(key: str) -> Item:
    return {"pk": f"APPROVAL#{key}", "sk": "APPROVAL"}


def token_key(key: str) -> Item:
    return {"pk": f"APPROVAL#{key}", "sk": "TOKEN"}


def resend_key(key: str, user_id: str) -> Item:
    return {"pk": f"APPROVAL#{key}", "sk": f"RESENT#{user_id}"}


def step_key(subject: SubjectRef) -> Item:
    """Beside the subject's own items (an order's are under ORDER#<id>)."""
    return {"pk": f"{subject.kind.upper()}#{subject.subject_id}", "sk": f"STEP#{subject.step}"}


def pending_key(user_id: str, approval: Approval) -> Item:
    """Sorted by when the step opened, so a person's newest pending steps come first (R-ORD-6)."""
    subject = approval.subject
    since = approval.created_at.isoformat()
    return {"pk": f"USER#{user_id}", "sk": f"PENDING#{since}#{subject.kind}#{subject.subject_id}#{subject.step}"}


def approval_item(approval: Approval) -> Item:
    return {
        **approval_item_key(approval.key),
        "entity": "approval",
        "expires_at_epoch": expires_a_day_after(approval.expires_at),
        **approval.model_dump(mode="json"),
    }


class DynamoApprovals:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def get(self, key: str) -> Approval | None:
        item = self._table.get(approval_item_key(key))
        return Approval.model_validate(without_bookkeeping(item)) if item else None

    def current(self, subject: SubjectRef) -> Approval | None:
        pointer = self._table.get(step_key(subject))
        return self.get(str(pointer["approval_key"])) if pointer else None

    def add(
        self, transaction: Transaction, approval: Approval, task_token: str | None, summary: dict[str, str]
    ) -> None:
        writes = staged(transaction)
        writes.put(approval_item(approval), "attribute_not_exists(pk)")
        # The token sits in its own item: reading an approval to show it never loads the token.
        if task_token is not None:
            writes.put(
                {
                    **token_key(approval.key),
                    "task_token": task_token,
                    "expires_at_epoch": expires_a_day_after(approval.expires_at),
                }
            )
        writes.put({**step_key(approval.subject), "approval_key": approval.key})
        for user_id in approval.assignees:
            pending = PendingStep(user_id=user_id, subject=approval.subject, since=approval.created_at, summary=summary)
            writes.put({**pending_key(user_id, approval), "entity": "pending", **pending.model_dump(mode="json")})

    def attach_token(self, transaction: Transaction, approval: Approval, task_token: str) -> None:
        writes = staged(transaction)
        writes.check(
            approval_item_key(approval.key), "#status = :read", {":read": approval.status.value}, {"#status": "status"}
        )
        writes.put(
            {
                **token_key(approval.key),
                "task_token": task_token,
                "expires_at_epoch": expires_a_day_after(approval.expires_at),
            }
        )

    def decide(self, transaction: Transaction, approval: Approval) -> None:
        staged(transaction).put(
            approval_item(approval), "#status = :open", {":open": ApprovalStatus.OPEN.value}, {"#status": "status"}
        )
        for user_id in approval.assignees:
            staged(transaction).delete(pending_key(user_id, approval))

    def resends(self, key: str, user_id: str) -> int:
        item = self._table.get(resend_key(key, user_id))
        return int(item["resends"]) if item else 0

    def add_resend(self, transaction: Transaction, approval: Approval, user_id: str, resends: int) -> None:
        writes = staged(transaction)
        writes.check(
            approval_item_key(approval.key),
            "#status = :open",
            {":open": ApprovalStatus.OPEN.value},
            {"#status": "status"},
        )
        counted = {
            **resend_key(approval.key, user_id),
            "entity": "resend",
            "resends": resends + 1,
            "expires_at_epoch": expires_a_day_after(approval.expires_at),
        }
        if resends == 0:
            writes.put(counted, "attribute_not_exists(pk)")
        else:
            writes.put(counted, "#resends = :read", {":read": resends}, {"#resends": "resends"})

    def task_token(self, key: str) -> str:
        item = self._table.get(token_key(key))
        if item is None:
            raise LookupError("no task token stored for this approval")
        return str(item["task_token"])

    def pending_for(self, user_id: str, page: PageRequest) -> Page[PendingStep]:
        found = self._table.query(f"USER#{user_id}", sort_prefix="PENDING#", newest_first=True, page=page)
        return found.map(lambda item: PendingStep.model_validate(without_bookkeeping(item)))
