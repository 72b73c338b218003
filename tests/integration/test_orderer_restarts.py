"""R-REQ-3 across restarts, with the real definition executing on the embedded AWS: an unapproved orderer's order
that the reconciliation starts again (its start lost) or that operations resume (`make redrive`) still waits in
OrdererApproval until the requisitioner approves the orderer. The order keeps `held_for_orderer`, which every
start of its execution sends (ordering.services.workflow_input)."""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.bootstrap import container
from chalicelib.ordering.model import HistoryAction, HistoryEvent
from local.people import placed, requisitioners_order
from tests.integration.test_orderers import attested_by_rita, history_of, registered, wait_for
from tests.integration.test_reconciliation import reconcile
from tests.integration.test_redrive import entered, execution_named, needing_attention, run

WAITS = ("awaiting_orderer_approval", "system")


def still_waiting(aws: Any, person: Any, order_id: str, execution: str) -> None:
    """The order waits in OrdererApproval: its history says so, and its execution runs on without a case."""
    wait_for(lambda: WAITS in history_of(person, order_id))
    time.sleep(1)  # long enough for a wrongly released order to reach its case
    sfn = aws.client("stepfunctions")
    arn = f"{aws.environment['STATE_MACHINE_ARN'].replace(':stateMachine:', ':execution:')}:{execution}"
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    read = person.get(f"/api/orders/{order_id}").body
    assert read["order"]["status"] == "in_progress" and not read["order"]["case_number"]


def test_r_req_3_an_unapproved_orderers_order_restarted_by_the_reconciliation_still_waits_for_approval(
    http, person, aws
):
    rita = person("rita.requisitioner")
    sam = registered(http, aws)
    template_id, _ = placed(sam.submit(requisitioners_order()))
    template, _ = container().adapters.orders.get(template_id) or (None, 0)
    assert template is not None and template.held_for_orderer
    # The same order stored an hour ago without its start: as if its start had gone to the dead letters.
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    number = f"RITM98{random.randrange(10**5):05d}"
    orphan = template.model_copy(
        update={"order_id": uuid.uuid4().hex, "number": number, "created_at": an_hour_ago, "updated_at": an_hour_ago}
    )
    transaction = container().adapters.transactions.begin()
    submitted = HistoryEvent(at=an_hour_ago, action=HistoryAction.SUBMITTED, actor_id=sam.user_id, actor_name="Sam")
    container().adapters.orders.add(transaction, orphan, [submitted])
    transaction.commit()

    assert reconcile()["started"] >= 1
    attested_by_rita(rita, number)
    still_waiting(aws, sam, orphan.order_id, orphan.order_id)

    assert rita.post(f"/api/orderers/{sam.user_id}/approval").status == 200
    assert aws.wait_for_execution(orphan.order_id)["status"] == "SUCCEEDED"
    assert history_of(sam, orphan.order_id)[-2:] == [
        ("orderer_approved", "rita.requisitioner"),
        ("case_created", "system"),
    ]
    assert sam.get(f"/api/orders/{orphan.order_id}").body["order"]["status"] == "completed"


def test_r_req_3_an_unapproved_orderers_order_resumed_by_operations_still_waits_for_approval(http, person, aws):
    rita = person("rita.requisitioner")
    sam = registered(http, aws)
    aws.dispatcher.failures["request_decision"] = 101  # its attestation never opens: operations get the order
    try:
        order_id, number = placed(sam.submit(requisitioners_order()))
    except BaseException:
        aws.dispatcher.failures.pop("request_decision", None)
        raise
    needing_attention(aws, order_id, "request_decision")

    assert run(aws, order_id, "--operator", "Oskar Operations") == 0
    attested_by_rita(rita, number)
    still_waiting(aws, sam, order_id, f"{order_id}-resume-1")

    assert rita.post(f"/api/orderers/{sam.user_id}/approval").status == 200
    assert execution_named(aws, f"{order_id}-resume-1")["status"] == "SUCCEEDED"
    states = entered(aws, f"{order_id}-resume-1")
    assert states.index("OrdererApproval") < states.index("CreateCase")
    actions = [action for action, _ in history_of(sam, order_id)]
    assert actions[-4:] == ["approved", "awaiting_orderer_approval", "orderer_approved", "case_created"]
    assert sam.get(f"/api/orders/{order_id}").body["order"]["status"] == "completed"
