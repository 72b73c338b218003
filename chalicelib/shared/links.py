"""Links e-mailed to one person (a step to decide, an invitation to set a password): an opaque id made from a
stored random seed and the stage's link secret. Only the id's hash is stored, so a copy of the table, seeds
included, opens no link; whoever holds the secret makes the link again when the mail is sent."""

from __future__ import annotations

import secrets
from typing import Protocol

from chalicelib.shared.link_ids import link_id, link_key

__all__ = ["LinkSecret", "link_id", "link_key", "new_link_seed"]


class LinkSecret(Protocol):
    def value(self) -> bytes:
        """The stage's secret that e-mailed links are made with."""


def new_link_seed() -> str:
    """128 random bits a link is made from; stored, but worthless without the link secret."""
    return secrets.token_hex(16)
