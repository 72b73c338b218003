"""What one completed via-agent order costs in DynamoDB writes, counted where the embedded AWS answers them
(issue 11: at most 12, the Powertools idempotency record included; `make bench` section 3 shows them by
operation). History, single-use links and codes are all still written: the chain's own tests check those."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from moto.dynamodb.responses import DynamoHandler

from local.people import agent_review, placed, via_agent_order

WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")
MOST_WRITES_PER_ORDER = 12
QUIET_SECONDS = 1.0


class WriteCount:
    """Every DynamoDB write call the embedded AWS answers, from any client or thread, and when the last came."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.last = time.monotonic()
        self._lock = threading.Lock()

    def counting(self, name: str, answer: Callable[..., Any]) -> Callable[..., Any]:
        def counted(handler: Any, *args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls.append(name)
                self.last = time.monotonic()
            return answer(handler, *args, **kwargs)

        return counted

    def quiet(self, timeout: float = 30.0) -> None:
        """Waits until no write came for QUIET_SECONDS: what the last request set off has been written."""
        deadline = time.monotonic() + timeout
        while time.monotonic() - self.last < QUIET_SECONDS:
            assert time.monotonic() < deadline, "the embedded AWS kept writing"
            time.sleep(0.1)


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[WriteCount]:
    count = WriteCount()
    for name in WRITES:
        monkeypatch.setattr(DynamoHandler, name, count.counting(name, getattr(DynamoHandler, name)))
    yield count


def test_a_completed_via_agent_order_makes_at_most_twelve_dynamodb_writes(person, aws, writes: WriteCount):
    olivia, hanna, alva, adam = (
        person(u) for u in ("olivia.orderer", "hanna.handler", "alva.attester", "adam.attester")
    )
    writes.quiet()  # nothing of an earlier test still under way
    before = len(writes.calls)

    order_id, number = placed(olivia.submit(via_agent_order()))
    approval_id = hanna.approval_link("granska beställning", number)
    decided = hanna.post(
        f"/api/approvals/{approval_id}/decision", {"decision": "approve", "agent_review": agent_review()}
    )
    assert decided.status == 200, decided.body
    assert alva.attest(alva.approval_link("attestera beställning", number)).status == 200
    assert adam.attest(adam.approval_link("attestera beställning", number)).status == 200
    assert aws.wait_for_execution(order_id)["status"] == "SUCCEEDED"
    olivia.next_email("är klar", number)  # the last mail of the order has gone out
    writes.quiet()

    made = writes.calls[before:]
    assert made, "no write was counted: the count does not reach the embedded AWS"
    assert len(made) <= MOST_WRITES_PER_ORDER, sorted(made)
