"""Signing's items: the latest one-time code challenge of each purpose."""

from __future__ import annotations

from chalicelib.adapters.dynamo.table import DynamoTable, Item, expires_a_day_after, staged, without_bookkeeping
from chalicelib.shared.transactions import Transaction
from chalicelib.signing.model import CodeChallenge


def challenge_key(purpose: str) -> Item:
    return {"pk": f"SIGNING#{purpose}", "sk": "CHALLENGE"}


class DynamoChallenges:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def get(self, purpose: str) -> CodeChallenge | None:
        item = self._table.get(challenge_key(purpose))
        return CodeChallenge.model_validate(without_bookkeeping(item)) if item else None

    def put(self, challenge: CodeChallenge) -> None:
        self._table.put(
            {
                **challenge_key(challenge.purpose),
                "entity": "challenge",
                "expires_at_epoch": expires_a_day_after(challenge.expires_at),
                **challenge.model_dump(mode="json"),
            }
        )

    def count_wrong_attempt(self, purpose: str) -> None:
        # A challenge used up meanwhile (the step was decided) has nothing left to count.
        self._table.update(
            challenge_key(purpose),
            "SET attempts = attempts + :one",
            {":one": 1},
            condition="attribute_exists(pk)",
        )

    def consume(self, transaction: Transaction, purpose: str) -> None:
        staged(transaction).delete(challenge_key(purpose))
