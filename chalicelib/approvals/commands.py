"""A decision as its assignee sends it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from chalicelib.approvals.reasons import REASON_REQUIRED
from chalicelib.shared.commands import Command, LongText
from chalicelib.shared.errors import InvalidRequest

OneTimeCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]


class Decide(Command):
    decision: Literal["approve", "reject"]
    reason: LongText | None = None
    one_time_code: OneTimeCode | None = None

    def require_reason(self) -> None:
        """R-ORD-3: the people told of a rejection are told why, so a rejection must say why."""
        if self.decision == "reject" and not self.reason:
            raise InvalidRequest(REASON_REQUIRED, field="reason")
