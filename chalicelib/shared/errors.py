"""Refusals. Each carries a stable code and its parameters, so a page or a mail can say it in the reader's
language; the English text is the default. Each kind maps to one HTTP status (`entrypoints/http.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Reason:
    """Why something was refused: a code that never changes, and its English text with `{name}` parameters.
    The text is also the message id its translations are keyed by."""

    code: str
    text: str


class DomainError(Exception):
    """A request the rules refuse. `field` names the input at fault, where there is one."""

    # A refusal stays a refusal however often it is asked again; the state machine's Retry skips these by name
    # (a test holds its list to this attribute).
    retry_helps: ClassVar[bool] = False

    def __init__(self, reason: Reason, *, field: str | None = None, **params: Any) -> None:
        self.reason = reason
        self.field = field
        self.params = params
        super().__init__(self.message)

    @property
    def code(self) -> str:
        return self.reason.code

    @property
    def message(self) -> str:
        return self.reason.text.format(**self.params)


class InvalidRequest(DomainError):
    """The input is well-formed but breaks a rule (unknown offering, attester of another organisation…)."""


class NotSignedIn(DomainError):
    """No valid identity came with the request."""


class NotAllowed(DomainError):
    """The signed-in person may not do this (wrong role, not the assignee)."""


class NotFound(DomainError):
    """No such thing, or none this person may see."""


class AlreadyDone(DomainError):
    """The thing was already done once: a decision made, a step closed."""


class Expired(DomainError):
    """A link or one-time code whose time has run out."""


class TooManyAttempts(DomainError):
    """Too many wrong one-time codes, or too many codes asked for."""


class StepOutOfOrder(DomainError):
    """A step asked for in a state where the chain does not allow it (R-ORD-2)."""


class InProgress(DomainError):
    """The same request is being handled right now; asking again shortly gets its answer."""

    retry_helps = True


def error_kinds() -> list[type[DomainError]]:
    """Every kind of refusal, for the checks that must know them all."""
    kinds: list[type[DomainError]] = []
    pending = list(DomainError.__subclasses__())
    while pending:
        kind = pending.pop(0)
        kinds.append(kind)
        pending.extend(kind.__subclasses__())
    return kinds
