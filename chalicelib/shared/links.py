"""Links e-mailed to one person (a step to decide, an invitation to set a password): an opaque id made from a
stored random seed and the stage's link secret. Only the id's hash is stored, so a copy of the table, seeds
included, opens no link; whoever holds the secret makes the link again when the mail is sent."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Protocol


class LinkSecret(Protocol):
    def value(self) -> bytes:
        """The stage's secret that e-mailed links are made with."""


def new_link_seed() -> str:
    """128 random bits a link is made from; stored, but worthless without the link secret."""
    return secrets.token_hex(16)


def link_id(link_secret: bytes, seed: str) -> str:
    """The opaque id in a link: 192 bits of HMAC-SHA256 of the seed under the stage's link secret."""
    digest = hmac.new(link_secret, seed.encode(), hashlib.sha256).digest()[:24]
    return base64.urlsafe_b64encode(digest).decode()


def link_key(link: str) -> str:
    """What is stored of a link's id: its SHA-256."""
    return hashlib.sha256(link.encode()).hexdigest()
