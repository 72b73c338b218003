"""Demo people using the API as the pages do, reading links from their e-mail and codes from their SMS."""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from bench.measure import AwsCallLog
from local import demo
from local.embedded_aws import EmbeddedAws

LINK = re.compile(r'href="https?://[^"]+/approvals/(?P<id>[A-Za-z0-9_-]+)"')
CODE = re.compile(r"\b(?P<code>\d{6})\b")
# Route patterns, never paths: ids would make every request its own row.
PATH_IDS = (
    (re.compile(r"/approvals/[A-Za-z0-9_-]{20,64}"), "/approvals/<id>"),
    (re.compile(r"/orders/[0-9a-f]{32}"), "/orders/<id>"),
)


def route(method: str, path: str) -> str:
    for pattern, replacement in PATH_IDS:
        path = pattern.sub(replacement, path)
    return f"{method} {path.split('?')[0]}"


@dataclass
class Reply:
    status: int
    body: Any


@dataclass
class Person:
    user_id: str
    http: Any  # chalice.test.Client().http
    aws: EmbeddedAws
    calls: AwsCallLog
    token: str = ""
    read_mail: set[str] = field(default_factory=set)
    requests: int = 0

    @property
    def _demo(self) -> demo.DemoPerson:
        return next(person for person in demo.PEOPLE if person.user_id == self.user_id)

    def sign_in(self) -> Person:
        reply = self.post("/api/session", {"username": self.user_id, "password": demo.PASSWORD})
        if reply.status != 200:
            raise RuntimeError(f"{self.user_id} could not sign in: {reply.body}")
        self.token = reply.body["id_token"]
        return self

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Reply:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        payload = json.dumps(body).encode() if body is not None else b""
        self.requests += 1
        with self.calls.acting(route(method, path)):
            response = self.http.request(method, path, headers=sent, body=payload)
        return Reply(response.status_code, json.loads(response.body) if response.body else None)

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Reply:
        return self.request("POST", path, body, headers)

    def submit(self, order: dict[str, Any]) -> Reply:
        return self.post("/api/orders", order, {"Idempotency-Key": uuid.uuid4().hex})

    def approval_id(self, subject: str, timeout: float = 30.0) -> str:
        """The approval id in this person's first unread e-mail whose subject contains `subject`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.aws.sent_emails():
                if (
                    self._demo.email in message["to"]
                    and subject in message["subject"]
                    and message["id"] not in self.read_mail
                ):
                    self.read_mail.add(message["id"])
                    match = LINK.search(message["body"])
                    if match is None:
                        raise RuntimeError(f"the e-mail '{message['subject']}' has no approval link")
                    return match["id"]
            time.sleep(0.01)
        raise TimeoutError(f"no e-mail '{subject}' reached {self.user_id}")

    def one_time_code(self, approval_id: str) -> str:
        before = len(self.aws.sent_sms())
        reply = self.post(f"/api/approvals/{approval_id}/code")
        if reply.status != 202:
            raise RuntimeError(f"no code for {self.user_id}: {reply.body}")
        texts = [sms["text"] for sms in self.aws.sent_sms()[before:] if sms["to"] == self._demo.phone]
        match = CODE.search(texts[-1]) if texts else None
        if match is None:
            raise RuntimeError(f"no SMS with a code reached {self.user_id}")
        return match["code"]

    def decide(self, approval_id: str, decision: dict[str, Any]) -> None:
        reply = self.post(f"/api/approvals/{approval_id}/decision", decision)
        if reply.status != 200:
            raise RuntimeError(f"{self.user_id}'s decision was refused: {reply.body}")


def via_agent_order() -> dict[str, Any]:
    return {
        "offering_id": "webcert-integrated-via-agent",
        "care_units": {"count": 2, "names": ["Vårdcentral Norr", "Vårdcentral Syd"]},
        "source_system": "CGM J4",
        "agent_org_id": "agent-cgm",
        "declarations": {"personal-data": True, "security-requirements": True},
        "invoice": {"kind": "saved", "invoice_id": "inv-main"},
        "attester_id": "adam.attester",
        "terms_accepted": True,
    }


def agent_review() -> dict[str, Any]:
    return {
        "declaration_accepted": True,
        "invoice_address": "CGM, Box 5, 111 11 Stockholm",
        "invoice_reference": "CGM-123",
        "attester_id": "alva.attester",
    }
