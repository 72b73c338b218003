from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.shared.transactions import Transaction
from chalicelib.signing.ports import CodeChallenge

from .store import MemoryStore, staged


@dataclass
class MemoryChallenges:
    store: MemoryStore
    challenges: dict[str, CodeChallenge] = field(default_factory=dict)

    def get(self, purpose: str) -> CodeChallenge | None:
        found = self.challenges.get(purpose)
        return found.model_copy(deep=True) if found else None

    def put(self, challenge: CodeChallenge) -> None:
        self.challenges[challenge.purpose] = challenge.model_copy(deep=True)

    def count_wrong_attempt(self, purpose: str) -> None:
        with self.store.lock:
            if purpose in self.challenges:
                self.challenges[purpose].attempts += 1

    def consume(self, transaction: Transaction, purpose: str) -> None:
        def use_up() -> None:
            self.challenges.pop(purpose, None)

        staged(transaction).stage(use_up)


@dataclass
class RecordingTexts:
    """Implements `TextMessages`: every SMS, as (phone number, text)."""

    sent: list[tuple[str, str]] = field(default_factory=list)

    def send(self, phone_number: str, text: str) -> None:
        self.sent.append((phone_number, text))
