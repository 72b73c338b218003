"""The embedded AWS stack, the demo directory, and people who sign in and read their own mail and SMS."""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.bootstrap import container
from chalicelib.observability import logger
from local import demo
from local.embedded_aws import EmbeddedAws, embedded_aws
from local.run import seed_demo, serving

LINK = re.compile(r'href="(?P<url>https?://[^"]+/approvals/(?P<id>[A-Za-z0-9_-]+))"')
CODE = re.compile(r"\b(?P<code>\d{6})\b")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def aws() -> Iterator[EmbeddedAws]:
    """One embedded AWS for the session; e-mail links point at the port `served` listens on."""
    with embedded_aws(app, base_url=f"http://127.0.0.1:{free_port()}") as stack:
        seed_demo(stack)
        yield stack
    container.cache_clear()


@pytest.fixture(scope="session")
def served(aws: EmbeddedAws) -> Iterator[str]:
    """The product over real HTTP (pages, API, outbox), as `make run` serves it. Yields its base URL."""
    base_url = aws.environment["PUBLIC_BASE_URL"]
    with serving(aws, "127.0.0.1", int(base_url.rsplit(":", 1)[1])):
        yield base_url


@pytest.fixture(scope="session")
def http(aws: EmbeddedAws) -> Iterator[Any]:
    with Client(app) as client:
        yield client.http


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class Person:
    """A demo person using the API as the pages do, reading the mail and SMS addressed to them."""

    user_id: str
    http: Any
    aws: EmbeddedAws
    token: str = ""
    seen_mail: set[str] = field(default_factory=set)

    @property
    def email(self) -> str:
        return next(p.email for p in demo.PEOPLE if p.user_id == self.user_id)

    @property
    def phone(self) -> str:
        return next(p.phone for p in demo.PEOPLE if p.user_id == self.user_id)

    def sign_in(self) -> Person:
        response = self.request("POST", "/api/session", {"username": self.user_id, "password": demo.PASSWORD})
        assert response.status == 200, response.body
        self.token = response.body["id_token"]
        self.seen_mail = {message["id"] for message in self.aws.sent_emails()}  # only what arrives from now on
        return self

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, raw: bytes | None = None
    ) -> Response:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        result = self.http.request(method, path, headers=sent, body=payload)
        try:
            parsed = json.loads(result.body) if result.body else None
        except ValueError:
            parsed = result.body.decode()
        return Response(result.status_code, parsed, dict(result.headers))

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Response:
        return self.request("POST", path, body, **kwargs)

    def submit(self, order: dict[str, Any], key: str | None = None) -> Response:
        return self.post("/api/orders", order, headers={"Idempotency-Key": key or uuid.uuid4().hex})

    # --- the mailbox -----------------------------------------------------------------------------

    def next_email(self, subject: str, timeout: float = 20.0) -> dict[str, Any]:
        """Waits for the next unread e-mail to this person whose subject contains `subject`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.aws.sent_emails():
                if (
                    self.email in message["to"]
                    and message["id"] not in self.seen_mail
                    and subject in message["subject"]
                ):
                    self.seen_mail.add(message["id"])
                    return message
            time.sleep(0.05)
        subjects = [m["subject"] for m in self.aws.sent_emails() if self.email in m["to"]]
        raise AssertionError(f"no e-mail '{subject}' reached {self.user_id}; they have: {subjects}")

    def approval_link(self, subject: str = "Action required") -> str:
        """The approval id from the link in the person's next 'Action required' e-mail."""
        match = LINK.search(self.next_email(subject)["body"])
        assert match, "the e-mail has no approval link"
        return match["id"]

    def latest_code(self, after: int) -> str:
        messages = [m for m in self.aws.sent_sms()[after:] if m["to"] == self.phone]
        assert messages, f"no SMS reached {self.user_id}"
        match = CODE.search(messages[-1]["text"])
        assert match
        return match["code"]

    def sign_with_code(self, approval_id: str) -> str:
        before = len(self.aws.sent_sms())
        response = self.post(f"/api/approvals/{approval_id}/code")
        assert response.status == 202, response.body
        return self.latest_code(before)

    def attest(self, approval_id: str, decision: str = "approve", reason: str | None = None) -> Response:
        code = self.sign_with_code(approval_id)
        body: dict[str, Any] = {"decision": decision, "one_time_code": code}
        if reason:
            body["reason"] = reason
        return self.post(f"/api/approvals/{approval_id}/decision", body)


@pytest.fixture
def person(http: Any, aws: EmbeddedAws) -> Any:
    def make(user_id: str) -> Person:
        return Person(user_id, http, aws).sign_in()

    return make


def via_agent_order(**changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "offering_id": "webcert-integrated-via-agent",
        "care_units": {"count": 2, "names": ["Vårdcentral Norr", "Vårdcentral Syd"]},
        "source_system": "CGM J4",
        "agent_org_id": "agent-cgm",
        "declarations": {"personal-data": True, "security-requirements": True},
        "invoice": {"kind": "saved", "invoice_id": "inv-main"},
        "attester_id": "adam.attester",
        "terms_accepted": True,
    }
    order.update(changes)
    return order


def direct_order(**changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "offering_id": "webcert-standalone",
        "care_units": {"count": 1, "names": ["Vårdcentral Öst"]},
        "declarations": {"personal-data": True},
        "invoice": {"kind": "new", "address": "Region Norrby, Box 200, 901 00 Norrby", "reference": "RN-77"},
        "attester_id": "adam.attester",
        "terms_accepted": True,
    }
    order.update(changes)
    return order


def agent_review(attester_id: str = "alva.attester") -> dict[str, Any]:
    return {
        "declaration_accepted": True,
        "invoice_address": "CGM, Box 5, 111 11 Stockholm",
        "invoice_reference": "CGM-123",
        "attester_id": attester_id,
    }


class Logs:
    """What the Powertools logger writes, as the JSON lines it writes them."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    @property
    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line.startswith("{")]


@pytest.fixture
def logs() -> Iterator[Logs]:
    captured = Logs()
    handler = logging.StreamHandler(captured.stream)
    handler.setFormatter(logger.registered_formatter)
    standard = logging.getLogger(logger.service)
    standard.addHandler(handler)
    yield captured
    standard.removeHandler(handler)


@pytest.fixture
def short_decision_timeout(aws: EmbeddedAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """Human steps that wait two seconds: enough to act in, short enough to watch time out."""
    monkeypatch.setenv("DECISION_TIMEOUT_SECONDS", "2")
    container.cache_clear()
    yield 2
    monkeypatch.undo()
    container.cache_clear()
