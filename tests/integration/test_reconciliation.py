"""The scheduled reconciliation on the embedded AWS: an order stored but never started gets its execution
and completes; an execution started but never stored is stopped."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from chalice.local import LambdaContext

from app import app
from chalicelib.bootstrap import container
from chalicelib.manifest import RECONCILE_ORDERS
from chalicelib.ordering.model import HistoryAction, HistoryEvent, OrderStatus
from local.embedded_aws import ACCOUNT_ID, REGION
from local.event_sources import scheduled_event
from local.people import direct_order, placed


def reconcile() -> dict[str, int]:
    """What the stage's schedule does every quarter of an hour."""
    event = scheduled_event(RECONCILE_ORDERS.name, ACCOUNT_ID, REGION)
    return app.handler_map[RECONCILE_ORDERS.name](event, LambdaContext(RECONCILE_ORDERS.name, 256))  # type: ignore[no-any-return]


def test_an_order_stored_but_never_started_is_started_and_completes(person, aws):
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    template_id, _ = placed(olivia.submit(direct_order()))
    template, _ = container().adapters.orders.get(template_id) or (None, 0)
    assert template is not None
    # The same order stored an hour ago without its start: as if its start had gone to the dead letters.
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    orphan = template.model_copy(
        update={
            "order_id": uuid.uuid4().hex,
            "number": "RITM9900001",
            "created_at": an_hour_ago,
            "updated_at": an_hour_ago,
        }
    )
    transaction = container().adapters.transactions.begin()
    submitted = HistoryEvent(
        at=an_hour_ago, action=HistoryAction.SUBMITTED, actor_id="olivia.orderer", actor_name="Olivia"
    )
    container().adapters.orders.add(transaction, orphan, [submitted])
    transaction.commit()

    assert reconcile()["started"] >= 1
    assert adam.attest(adam.approval_link("attestera beställning", "RITM9900001")).status == 200
    assert aws.wait_for_execution(orphan.order_id)["status"] == "SUCCEEDED"
    assert olivia.get(f"/api/orders/{orphan.order_id}").body["order"]["status"] == "completed"


def test_an_execution_still_waiting_for_an_order_that_has_ended_is_stopped(person, aws, monkeypatch):
    """Its execution waits for a decision nobody can make any more: the reconciliation stops it. (moto records
    the stop but lets a task waiting for its token go on running, so the call is what is checked.)"""
    workflow = container().adapters.workflow
    stopped: list[str] = []
    stop = workflow.stop

    def recording(name: str, cause: str) -> None:
        stopped.append(name)
        stop(name, cause)

    monkeypatch.setattr(workflow, "stop", recording)
    olivia, adam = person("olivia.orderer"), person("adam.attester")
    order_id, number = placed(olivia.submit(direct_order()))
    adam.next_email("attestera beställning", number)  # the execution waits at the customer's attestation
    order, version = container().adapters.orders.get(order_id) or (None, 0)
    assert order is not None
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    ended = order.model_copy(update={"status": OrderStatus.CANCELLED, "current_step": None, "updated_at": an_hour_ago})
    transaction = container().adapters.transactions.begin()
    container().adapters.orders.save(transaction, ended, version, [])
    transaction.commit()

    assert aws.execution(order_id)["status"] == "RUNNING"
    assert reconcile()["stopped"] >= 1
    assert order_id in stopped
