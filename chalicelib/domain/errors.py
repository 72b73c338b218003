"""Domain errors. Each kind maps to one HTTP status in one place (`chalicelib/http.py`)."""

from __future__ import annotations


class DomainError(Exception):
    """A request the rules refuse. `field` names the input at fault, where there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidRequest(DomainError):
    """The input is well-formed but breaks a rule (unknown offering, attester of another organisation…)."""


class NotSignedIn(DomainError):
    """No valid identity came with the request."""


class NotAllowed(DomainError):
    """The signed-in person may not do this (wrong role, not the assignee)."""


class NotFound(DomainError):
    """No such order or approval, or none this person may see."""


class AlreadyDone(DomainError):
    """The thing was already done once: a decision made, a step closed."""


class Expired(DomainError):
    """A link or one-time code whose time has run out."""


class TooManyAttempts(DomainError):
    """Too many wrong one-time codes: a new code must be requested."""


class StepOutOfOrder(DomainError):
    """A step asked for in a state of the order where the chain does not allow it (R-ORD-2)."""
