"""Doing a request once: a repeated request gets the first answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from chalicelib.shared.errors import Reason

KEY_REUSED = Reason("idempotency.key_reused", "This Idempotency-Key was already used for a different request.")
IN_PROGRESS = Reason("idempotency.in_progress", "The same request is being handled right now; try again shortly.")


class Idempotency(Protocol):
    def once(
        self, key: list[str], payload: dict[str, Any], produce: Callable[[], dict[str, Any]], lambda_context: Any = None
    ) -> dict[str, Any]:
        """`produce()` the first time `key` is seen, its recorded answer afterwards. The same key with another
        `payload` is refused (InvalidRequest), and while the first is still running, InProgress."""
