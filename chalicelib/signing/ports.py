"""The `Signer` other contexts sign with, and what the SMS signer needs: a store for challenges and a way to
send a text message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from chalicelib.shared.identity import Person
from chalicelib.shared.signatures import SigningMethod
from chalicelib.shared.transactions import Transaction
from chalicelib.signing.model import CodeChallenge

__all__ = ["Challenges", "CodeChallenge", "Signature", "Signer", "SigningMethod", "SigningRequest", "TextMessages"]


@dataclass(frozen=True)
class SigningRequest:
    """Who must sign what. `purpose` names the thing signed (a decision step) and keeps signatures for
    different things apart; `description` ends the sentence "…your code to …": an English message id (such as
    "attest order {number}") with its `params`, said in the signer's language."""

    purpose: str
    signer: Person
    description: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Signature:
    method: SigningMethod
    signer_id: str
    signed_at: datetime


class Signer(Protocol):
    method: SigningMethod

    def start(self, request: SigningRequest) -> dict[str, str]:
        """Begins a signature at this moment (sends a code); returns what the person is told."""

    def verify(self, transaction: Transaction, request: SigningRequest, proof: str | None) -> Signature:
        """Checks `proof` and stages, in `transaction`, that it is used up; raises a refusal if it is wrong."""


class Challenges(Protocol):
    def get(self, purpose: str) -> CodeChallenge | None: ...

    def put(self, challenge: CodeChallenge) -> None: ...

    def count_wrong_attempt(self, purpose: str) -> None:
        """Adds one wrong attempt, atomically, so guesses made at the same time all count."""

    def consume(self, transaction: Transaction, purpose: str) -> None: ...


class TextMessages(Protocol):
    def send(self, phone_number: str, text: str) -> None: ...
