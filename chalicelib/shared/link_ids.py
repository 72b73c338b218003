"""What a link's opaque id is made of, and what is stored of it: pure functions of their inputs, which a model can
use without the link secret's store or a source of randomness (shared/links.py has those)."""

from __future__ import annotations

import base64
import hashlib
import hmac


def link_id(link_secret: bytes, seed: str) -> str:
    """The opaque id in a link: 192 bits of HMAC-SHA256 of the seed under the stage's link secret."""
    digest = hmac.new(link_secret, seed.encode(), hashlib.sha256).digest()[:24]
    return base64.urlsafe_b64encode(digest).decode()


def link_key(link: str) -> str:
    """What is stored of a link's id: its SHA-256."""
    return hashlib.sha256(link.encode()).hexdigest()
