"""A rendered mail: what one notification becomes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mail:
    to: list[str]
    subject: str
    text: str
    html: str
