"""An approval link's opaque id, made from its seed under the stage's link secret, and what is stored of it
(`shared/links.py`): kept out of the model, which never holds the secret."""

from __future__ import annotations

from chalicelib.shared.links import link_id, link_key


def approval_id(link_secret: bytes, seed: str) -> str:
    """The opaque id in an approval link."""
    return link_id(link_secret, seed)


def approval_key(approval_id: str) -> str:
    return link_key(approval_id)
