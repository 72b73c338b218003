"""A decision as its assignee sends it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, ValidationInfo, field_validator

from chalicelib.shared.commands import Command, LongText

OneTimeCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]


class Decide(Command):
    decision: Literal["approve", "reject"]
    reason: LongText | None = Field(default=None, validate_default=True)
    one_time_code: OneTimeCode | None = None

    @field_validator("reason")
    @classmethod
    def reason_when_rejecting(cls, reason: str | None, info: ValidationInfo) -> str | None:
        # R-ORD-3: the people told of a rejection are told why, so a rejection must say why.
        if info.data.get("decision") == "reject" and not reason:
            raise ValueError("a reason is required to reject or cancel")
        return reason
