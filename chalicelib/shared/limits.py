"""How often something may be asked for in a while: public forms (applications, self-registration) are limited
per address and per network address, so that nobody floods them or probes them for who is registered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from chalicelib.shared.errors import Reason, TooManyAttempts

TOO_OFTEN = Reason("limits.too_often", "Too many attempts. Wait a while, then try again.")


@dataclass(frozen=True)
class Limit:
    """At most `times` in each `window`, for one thing asked by one asker."""

    name: str
    times: int
    window: timedelta

    def window_of(self, now: datetime) -> str:
        """The window `now` falls in, named by its start (windows follow each other, none overlap)."""
        seconds = int(self.window.total_seconds())
        start = int(now.timestamp()) // seconds * seconds
        return str(start)


class Limits(Protocol):
    def take(self, limit: Limit, asker: str, now: datetime) -> bool:
        """Counts one more for `asker` in the current window; False once `limit.times` are used up."""


def require(limits: Limits, limit: Limit, now: datetime, *askers: str) -> None:
    """Refuses (TooManyAttempts, 429) once any asker (an e-mail address, a network address) has used up the
    limit. Every asker is counted, so that one busy network does not hide a busy address."""
    allowed = [limits.take(limit, asker, now) for asker in askers if asker]
    if not all(allowed):
        raise TooManyAttempts(TOO_OFTEN)
