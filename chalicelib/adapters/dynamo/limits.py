"""Counters of rate limits: one item per thing, asker and window, counted up conditionally (shared/limits.py)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from chalicelib.adapters.dynamo.table import DynamoTable
from chalicelib.shared.limits import Limit


def limit_key(limit: Limit, asker: str, window: str) -> dict[str, str]:
    # The asker (an e-mail address, a network address) is stored as a hash: a counter names no one.
    who = hashlib.sha256(asker.strip().lower().encode()).hexdigest()[:32]
    return {"pk": f"LIMIT#{limit.name}#{who}", "sk": f"WINDOW#{window}"}


class DynamoLimits:
    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def take(self, limit: Limit, asker: str, now: datetime) -> bool:
        window = limit.window_of(now)
        expires = int(now.timestamp() + 2 * limit.window.total_seconds())
        counted = self._table.update(
            limit_key(limit, asker, window),
            "SET expires_at_epoch = :expires ADD #n :one",
            {":one": 1, ":times": limit.times, ":expires": expires},
            names={"#n": "n"},
            condition="attribute_not_exists(#n) OR #n < :times",
        )
        return counted is not None
