"""A requisitioner's orderers and the orders held for an orderer's approval
(docs/data-model.md)."""

from __future__ import annotations

from chalicelib.adapters.dynamo.schema import GSI1, GSI2
from chalicelib.adapters.dynamo.table import DynamoTable, Item, expires_a_day_after, staged, without_bookkeeping
from chalicelib.requisitioners.model import Orderer, RequisitionerEntry, WaitingOrder
from chalicelib.shared.pagination import Page, PageRequest
from chalicelib.shared.transactions import Transaction

WAITS = "WAITS#"


def orderer_key(user_id: str) -> Item:
    """Beside the person's profile: the orderer and the orders it holds are one partition."""
    return {"pk": f"USER#{user_id}", "sk": "ORDERER"}


def waiting_key(orderer_id: str, order_id: str) -> Item:
    return {"pk": f"USER#{orderer_id}", "sk": f"{WAITS}{order_id}"}


def requisitioner_entry_key(org_id: str) -> Item:
    return {"pk": "REQUISITIONERS", "sk": f"ORG#{org_id}"}


def _orderer_item(orderer: Orderer) -> Item:
    position = f"{orderer.created_at.isoformat()}#{orderer.user_id}"
    item: Item = {
        **orderer_key(orderer.user_id),
        "entity": "orderer",
        GSI1.partition_key: f"REQUISITIONER#{orderer.requisitioner_org_id}#ORDERERS",
        GSI1.sort_key: position,
        **orderer.model_dump(mode="json"),
    }
    if not orderer.approved:  # sparse: only the orderers waiting for approval are in this list
        item[GSI2.partition_key] = f"REQUISITIONER#{orderer.requisitioner_org_id}#UNAPPROVED"
        item[GSI2.sort_key] = position
    return item


def _waiting_item(waiting: WaitingOrder) -> Item:
    return {
        **waiting_key(waiting.orderer_id, waiting.order_id),
        "entity": "waiting_order",
        "expires_at_epoch": expires_a_day_after(waiting.expires_at),
        **waiting.model_dump(mode="json"),
    }


class DynamoOrderers:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def get(self, user_id: str) -> Orderer | None:
        item = self._table.get(orderer_key(user_id))
        return Orderer.model_validate(without_bookkeeping(item)) if item else None

    def add(self, transaction: Transaction, orderer: Orderer) -> None:
        staged(transaction).put(_orderer_item(orderer), "attribute_not_exists(pk)")

    def approve(self, transaction: Transaction, orderer: Orderer) -> None:
        staged(transaction).put(_orderer_item(orderer), "attribute_exists(pk) AND approved = :no", {":no": False})

    def remove(self, transaction: Transaction, user_id: str) -> None:
        staged(transaction).delete(orderer_key(user_id))

    def of_requisitioner(self, org_id: str, page: PageRequest) -> Page[Orderer]:
        found = self._table.query(f"REQUISITIONER#{org_id}#ORDERERS", index=GSI1, newest_first=True, page=page)
        return found.map(lambda item: Orderer.model_validate(without_bookkeeping(item)))

    def unapproved_of(self, org_id: str, page: PageRequest) -> Page[Orderer]:
        found = self._table.query(f"REQUISITIONER#{org_id}#UNAPPROVED", index=GSI2, newest_first=True, page=page)
        return found.map(lambda item: Orderer.model_validate(without_bookkeeping(item)))

    def hold(self, transaction: Transaction, waiting: WaitingOrder, unapproved: bool) -> None:
        staged(transaction).put(_waiting_item(waiting))
        if unapproved:
            staged(transaction).check(
                orderer_key(waiting.orderer_id), "attribute_exists(pk) AND approved = :no", {":no": False}
            )

    def waiting(self, orderer_id: str) -> list[WaitingOrder]:
        items = self._table.query_all(f"USER#{orderer_id}", sort_prefix=WAITS, consistent=True)
        return [WaitingOrder.model_validate(without_bookkeeping(item)) for item in items]

    def release(self, transaction: Transaction, waiting: WaitingOrder) -> None:
        staged(transaction).put(_waiting_item(waiting), "attribute_exists(pk) AND attribute_not_exists(released_at)")

    def forget(self, waiting: WaitingOrder) -> None:
        self._table.begin().delete(waiting_key(waiting.orderer_id, waiting.order_id)).commit()

    def requisitioners(self) -> list[RequisitionerEntry]:
        items = self._table.query_all("REQUISITIONERS")
        return [RequisitionerEntry.model_validate(without_bookkeeping(item)) for item in items]

    def add_requisitioner(self, entry: RequisitionerEntry) -> None:
        self._table.put(
            {**requisitioner_entry_key(entry.org_id), "entity": "requisitioner", **entry.model_dump(mode="json")}
        )
