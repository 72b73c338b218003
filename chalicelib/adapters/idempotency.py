"""Powertools idempotency: a request repeated with the same key gets the first answer, and runs nothing."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from chalicelib.shared.errors import InProgress, InvalidRequest, Reason

KEY_REUSED = Reason("idempotency.key_reused", "This Idempotency-Key was already used for a different request.")
IN_PROGRESS = Reason("idempotency.in_progress", "The same request is being handled right now; try again shortly.")


class PowertoolsIdempotency:
    """Records answers in their own table (`IDEMPOTENCY_TABLE` in adapters/dynamo/schema.py)."""

    def __init__(self, table_name: str, expires_after_seconds: int = 24 * 3600) -> None:
        self._table_name = table_name
        self._config = IdempotencyConfig(
            event_key_jmespath="key", payload_validation_jmespath="payload", expires_after_seconds=expires_after_seconds
        )

    @cached_property
    def _once(self) -> Callable[..., dict[str, Any]]:
        """Built on first use: only submitting needs it, and its client costs cold-start time."""

        @idempotent_function(  # type: ignore[untyped-decorator]
            data_keyword_argument="request",
            persistence_store=DynamoDBPersistenceLayer(table_name=self._table_name),
            config=self._config,
        )
        def once(request: dict[str, Any], produce: Callable[[], dict[str, Any]]) -> dict[str, Any]:
            return produce()

        return once  # type: ignore[no-any-return]

    def once(
        self, key: list[str], payload: dict[str, Any], produce: Callable[[], dict[str, Any]], lambda_context: Any = None
    ) -> dict[str, Any]:
        """`produce()` the first time `key` is seen; its recorded answer afterwards. The same key with another
        `payload` is refused."""
        if lambda_context is not None:
            self._config.register_lambda_context(lambda_context)
        try:
            answer: dict[str, Any] = self._once(request={"key": key, "payload": payload}, produce=produce)
        except IdempotencyValidationError:
            raise InvalidRequest(KEY_REUSED, field="Idempotency-Key") from None
        except IdempotencyAlreadyInProgressError:
            raise InProgress(IN_PROGRESS) from None
        return answer
