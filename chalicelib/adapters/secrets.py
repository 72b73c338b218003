"""Secrets from AWS Secrets Manager through Powertools' parameters utility, cached per container."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.parameters import SecretsProvider

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

CACHED_SECONDS = 3600


class SecretsManagerLinkSecret:
    """The stage's approval-link secret (approvals' `LinkSecret`), or another key kept as one secret (bookings'
    `IdentityKey`); read on first use, then cached."""

    def __init__(
        self, client: Callable[[], SecretsManagerClient], secret_id: str, name: str = "the approval-link secret"
    ) -> None:
        self._make_client = client
        self._secret_id = secret_id
        self._name = name

    @cached_property
    def _provider(self) -> SecretsProvider:
        return SecretsProvider(boto3_client=self._make_client())

    def value(self) -> bytes:
        secret = self._provider.get(self._secret_id, max_age=CACHED_SECONDS)
        if not secret:
            raise LookupError(f"{self._name} is empty")
        return secret if isinstance(secret, bytes) else str(secret).encode()
