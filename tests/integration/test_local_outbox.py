"""The local outbox as JSON (`GET /outbox/messages`), read from another program as a load generator would: the
mails and SMS sent from a position on, answered as soon as something is sent, and people who read their mail and
codes through it complete an order (R-ORD-2, R-ORD-4)."""

from __future__ import annotations

import json
import threading
from typing import Any

from local.embedded_aws import EmbeddedAws
from local.people import OutboxOverHttp, OverHttp, Person, agent_review, direct_order, placed, via_agent_order


def messages(served: str, query: str) -> tuple[int, Any]:
    answer = OverHttp(served).request("GET", f"/outbox/messages?{query}", {})
    return answer.status_code, json.loads(answer.body)


def test_the_outbox_gives_the_mails_and_sms_sent_from_a_position_on(served: str, aws: EmbeddedAws):
    olivia, hanna = (
        Person(user_id, OverHttp(served), aws).sign_in() for user_id in ("olivia.orderer", "hanna.handler")
    )
    start_mail, start_sms = aws.mail_count(), aws.sms_count()
    _, number = placed(olivia.submit(via_agent_order()))
    hanna.approval_link("granska beställning", number)  # the request has been mailed
    status, body = messages(served, f"mail={start_mail}&sms={start_sms}")
    assert status == 200
    # The order goes to two assignees: the second mail may go out after the answer, so the answer is what had
    # been sent when it was given, in order, and it holds hanna's request.
    assert body["mail"], "hanna's request was sent but the outbox gave nothing"
    assert body["mail"] == aws.sent_emails(start_mail)[: len(body["mail"])]
    assert body["next_mail"] == start_mail + len(body["mail"])
    assert body["next_sms"] == start_sms + len(body["sms"])
    status, later = messages(served, f"mail={body['next_mail']}&sms={body['next_sms']}")
    assert status == 200 and later["mail"] == aws.sent_emails(body["next_mail"])[: len(later["mail"])]
    assert later["next_mail"] == body["next_mail"] + len(later["mail"])


def test_a_wait_is_answered_with_what_was_sent_meanwhile(served: str, aws: EmbeddedAws):
    olivia = Person("olivia.orderer", OverHttp(served), aws).sign_in()
    mail, sms = aws.mail_count(), aws.sms_count()
    answered: list[tuple[int, Any]] = []
    waiting = threading.Thread(target=lambda: answered.append(messages(served, f"mail={mail}&sms={sms}&wait=20")))
    waiting.start()
    # A direct order asks adam to attest: the mail is sent while the request waits.
    placed(olivia.submit(direct_order()))
    waiting.join(timeout=30)
    assert answered, "the outbox did not answer"
    status, body = answered[0]
    assert status == 200
    assert body["mail"] or body["sms"], "the outbox answered with nothing new"
    assert body["mail"] == aws.sent_emails(mail)[: len(body["mail"])]
    assert body["sms"] == aws.sent_sms(sms)[: len(body["sms"])]


def test_wrong_positions_and_waits_are_refused_naming_the_parameter(served: str):
    for query, field in (("mail=-1", "mail"), ("sms=x", "sms"), ("wait=21", "wait")):
        status, body = messages(served, query)
        assert status == 400, query
        assert field in {problem["field"] for problem in body["errors"]}, body
    status, body = messages(served, "since=3")
    assert status == 400 and body["errors"][0]["field"] == "since"


def test_r_ord_2_people_reading_the_outbox_over_http_complete_a_via_agent_order(served: str, aws: EmbeddedAws):
    outbox = OutboxOverHttp(served).start()
    try:
        olivia, hanna, alva, adam = (
            Person(user_id, OverHttp(served), outbox).sign_in()
            for user_id in ("olivia.orderer", "hanna.handler", "alva.attester", "adam.attester")
        )
        order_id, number = placed(olivia.submit(via_agent_order()))
        approval_id = hanna.approval_link("granska beställning", number)
        assert (
            hanna.post(
                f"/api/approvals/{approval_id}/decision", {"decision": "approve", "agent_review": agent_review()}
            ).status
            == 200
        )
        for attester in (alva, adam):  # R-ORD-4: each code read from the SMS the outbox gave
            approval_id = attester.approval_link("attestera beställning", number)
            assert attester.attest(approval_id).status == 200
        assert aws.wait_for_execution(order_id)["status"] == "SUCCEEDED"
    finally:
        outbox.stop()
    assert olivia.get(f"/api/orders/{order_id}").body["order"]["status"] == "completed"
