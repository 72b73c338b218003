"""Nothing lost when AWS calls fail: 100 orders driven to their decisions by people in parallel while 30 % of the
application's DynamoDB, SES, SNS and Step Functions calls fail (refused, timed out, or carried out with their
answer lost), in the API, the workflow's tasks and the outbox relay. A person who gets a 500 is told to try
again, and does.

Afterwards every order has reached its end, its execution agrees, each person got each mail once, each completed
order has one case, nothing waits in the dead letters, and nobody was called in for what retries could mend.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from chalicelib import bootstrap
from chalicelib.bootstrap import container
from local.embedded_aws import EmbeddedAws
from local.people import OverHttp, Person, Reply, agent_review, direct_order, via_agent_order
from tests.faults import AwsFaults

SEED = 20261123
RATE = 0.3
PEOPLE_AT_ONCE = 8
# What each order is, and how many of each: every path of the chain, and both ways it can end by decision.
PLAN = (["via agent"] * 50) + (["via agent, rejected"] * 10) + (["direct"] * 30) + (["direct, cancelled"] * 10)
TRY_AGAIN = "Something went wrong on our side; nothing was lost. Try again."
WAIT = 120.0

# Who is mailed about an order, and how often, by how it goes (R-ORD-2, R-ORD-3, Flow 2 step 5).
MAILS = {
    "via agent": {"hanna.handler": 2, "hugo.handler": 2, "alva.attester": 1, "adam.attester": 1, "olivia.orderer": 1},
    "via agent, rejected": {"hanna.handler": 2, "hugo.handler": 2, "olivia.orderer": 1},
    "direct": {"adam.attester": 1, "customer.service": 1, "olivia.orderer": 1},
    "direct, cancelled": {"adam.attester": 1, "olivia.orderer": 1},
}
ENDS = {
    "via agent": "completed",
    "via agent, rejected": "rejected",
    "direct": "completed",
    "direct, cancelled": "cancelled",
}


@pytest.fixture
def faults(aws: EmbeddedAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsFaults]:
    injector = AwsFaults(rate=RATE, seed=SEED)
    monkeypatch.setattr(
        bootstrap, "new_session", lambda region: injector.install(boto3.session.Session(region_name=region))
    )
    monkeypatch.setenv("OUTBOX_FIRST_RETRY_SECONDS", "0")  # retries come at once here; the delays are not tested
    container.cache_clear()
    yield injector
    monkeypatch.undo()
    container.cache_clear()


@dataclass
class Driven:
    kind: str
    order_id: str
    number: str


class Stubborn:
    """People who, told to try again, do; and who count what they were told. They use the product over HTTP, as
    people in parallel do."""

    def __init__(self, base_url: str, aws: EmbeddedAws) -> None:
        self.http, self.aws = OverHttp(base_url), aws
        self.told_to_try_again = 0
        self.other_5xx: list[Any] = []

    def person(self, user_id: str) -> Person:
        return Person(user_id, self.http, self.aws).sign_in()

    def until_answered(self, call: Callable[[], Reply], tries: int = 400) -> tuple[Reply, bool]:
        """The first answer that is not a 5xx, and whether a 5xx came before it."""
        failed = False
        for _ in range(tries):
            reply = call()
            if reply.status < 500:
                return reply, failed
            failed = True
            if isinstance(reply.body, dict) and reply.body.get("message") == TRY_AGAIN:
                self.told_to_try_again += 1
            else:
                self.other_5xx.append(reply.body)
        raise AssertionError(f"still failing after {tries} tries: {reply.status} {reply.body}")

    def decide(self, person: Person, approval_id: str, body: dict[str, Any]) -> None:
        reply, failed = self.until_answered(lambda: person.post(f"/api/approvals/{approval_id}/decision", body))
        # A 500 whose decision was stored after all: trying again is told it is decided, and nothing doubles.
        assert reply.status == 200 or (failed and reply.status == 409), reply.body

    def attest(self, person: Person, approval_id: str, number: str, decision: str = "approve") -> None:
        reply, _ = self.until_answered(lambda: person.post(f"/api/approvals/{approval_id}/code"))
        assert reply.status == 202, reply.body
        texts = [s["text"] for s in self.aws.sent_sms() if s["to"] == person.phone and number in s["text"]]
        match = re.match(r"(\d{6}) ", texts[-1])
        assert match is not None
        body: dict[str, Any] = {"decision": decision, "one_time_code": match[1]}
        if decision == "reject":
            body["reason"] = "Ordered by mistake."
        self.decide(person, approval_id, body)

    def link(self, person: Person, subject: str, number: str) -> str:
        found = re.search(r"/approvals/([A-Za-z0-9_-]+)", person.next_email(subject, number, timeout=WAIT)["body"])
        assert found is not None
        return found[1]

    def drive(self, kind: str) -> Driven:
        # Everyone is signed in before the order is placed: a person reads the mail that arrives after that.
        olivia, adam = self.person("olivia.orderer"), self.person("adam.attester")
        hanna, alva = self.person("hanna.handler"), self.person("alva.attester")
        order = via_agent_order() if kind.startswith("via agent") else direct_order()
        key = uuid.uuid4().hex
        reply, _ = self.until_answered(lambda: olivia.submit(order, key))  # the same key every time
        assert reply.status == 201, reply.body
        order_id, number = reply.body["order_id"], reply.body["number"]

        if kind.startswith("via agent"):
            approval_id = self.link(hanna, "granska beställning", number)
            if kind == "via agent, rejected":
                self.decide(hanna, approval_id, {"decision": "reject", "reason": "Not our customer."})
                return Driven(kind, order_id, number)
            self.decide(hanna, approval_id, {"decision": "approve", "agent_review": agent_review()})
            self.attest(alva, self.link(alva, "attestera beställning", number), number)
        decision = "reject" if kind == "direct, cancelled" else "approve"
        self.attest(adam, self.link(adam, "attestera beställning", number), number, decision)
        return Driven(kind, order_id, number)


def test_a_hundred_orders_end_right_while_a_third_of_the_aws_calls_fail(faults, aws, served, person):
    people = Stubborn(served, aws)
    with ThreadPoolExecutor(max_workers=PEOPLE_AT_ONCE) as pool:
        driven = list(pool.map(people.drive, PLAN))
    executions = {order.order_id: aws.wait_for_execution(order.order_id, timeout=WAIT)["status"] for order in driven}
    faults.rate = 0  # what follows reads what was stored and sent

    # Every order whose decisions were all made reached its end, and its execution agrees.
    kim = person("kim.service")
    for order in driven:
        stored = person("olivia.orderer").get(f"/api/orders/{order.order_id}").body
        assert stored["order"]["status"] == ENDS[order.kind], (order, stored["order"]["status"])
        assert executions[order.order_id] == "SUCCEEDED", order
        actions = Counter(event["action"] for event in stored["history"])
        assert actions["submitted"] == 1 and actions["needs_attention"] == 0, (order, actions)
        assert actions["case_created"] == (1 if ENDS[order.kind] == "completed" else 0), (order, actions)
        assert actions["approved"] + actions["rejected"] + actions["cancelled"] == actions["step_opened"], actions

    # Each person got each mail about each order exactly once (the last ones may still be on their way).
    def about(mails: list[dict[str, Any]], order: Driven) -> list[dict[str, Any]]:
        case = "CS" + order.number.removeprefix("RITM")  # customer service's mail names the case
        return [m for m in mails if order.number in m["subject"] or case in m["subject"]]

    def told(mails: list[dict[str, Any]], order: Driven) -> Counter[str]:
        return Counter(m["to"][0].split("@")[0] for m in about(mails, order))

    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        mails = aws.sent_emails()
        if all(told(mails, order) == Counter(MAILS[order.kind]) for order in driven):
            break
        time.sleep(0.2)
    for order in driven:
        mailed = about(mails, order)
        assert all(len(m["to"]) == 1 for m in mailed)
        assert told(mails, order) == Counter(MAILS[order.kind]), (order, told(mails, order))
        assert len({(m["to"][0], m["subject"]) for m in mailed}) == len(mailed), order

    # One case per completed order, none for the others.
    cases: Counter[str] = Counter()
    cursor = ""
    while True:
        page = kim.get(f"/api/cases?limit=100{'&cursor=' + cursor if cursor else ''}").body
        cases.update(case["order_id"] for case in page["cases"])
        if not page["next"]:
            break
        cursor = page["next"]
    for order in driven:
        assert cases[order.order_id] == (1 if ENDS[order.kind] == "completed" else 0), order

    # Nothing waits in the outbox's dead letters; nobody was called in.
    dead = aws.client("sqs").receive_message(QueueUrl=aws.environment["OUTBOX_DEAD_LETTER_QUEUE_URL"])
    assert not dead.get("Messages")
    to_operations = [m for m in mails if "operations@provider.example" in m["to"]]
    assert not [m for m in to_operations if any(order.order_id in m["body"] for order in driven)]

    # The failures happened, everywhere they were meant to, and a person who met one was told to try again.
    for service in ("dynamodb:refused", "dynamodb:answer lost", "ses:refused", "sns:refused", "stepfunctions:refused"):
        assert faults.injected[service] > 0, faults.injected
    assert sum(faults.injected.values()) > 300, faults.injected
    assert people.told_to_try_again > 0 and people.other_5xx == []
