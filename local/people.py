"""Demo people using the API as the pages do, reading links from their e-mail and codes from their SMS.

Shared by the tests and the benchmark, so both drive the product the way a person would.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

from local import demo

LINK = re.compile(r'href="(?P<url>https?://[^"]+/approvals/(?P<id>[A-Za-z0-9_-]+))"')
CODE = re.compile(r"\b(?P<code>\d{6})\b")


def _no_wrapping(method: str, path: str) -> AbstractContextManager[None]:
    return nullcontext()


@dataclass
class HttpAnswer:
    status_code: int
    body: bytes
    headers: dict[str, str]


@dataclass
class OverHttp:
    """Requests to the served product over real HTTP, with `chalice.test.Client().http`'s `request`: for people
    acting in parallel threads, each request is its own (the test client keeps one request per app)."""

    base_url: str
    timeout: float = 60.0

    def request(self, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> HttpAnswer:
        url = urllib.parse.urlsplit(self.base_url)
        connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            return HttpAnswer(response.status, response.read(), dict(response.getheaders()))
        finally:
            connection.close()


class Mailbox(Protocol):
    """Where people read the mails and SMS sent to them: the embedded AWS itself (`EmbeddedAws`), or the local
    outbox over HTTP from another process (`OutboxOverHttp`). Both count from the first message ever sent."""

    def sent_emails(self, start: int = 0) -> list[dict[str, Any]]: ...

    def sent_sms(self, start: int = 0) -> list[dict[str, str]]: ...


@dataclass
class OutboxOverHttp:
    """The local outbox's mails and SMS read over HTTP (`GET /outbox/messages`) by one thread, which asks again
    as soon as it is answered: the outbox answers when something new is sent, so the people of a process wait on
    this copy, not on the product."""

    base_url: str
    wait_seconds: float = 5.0
    _mail: list[dict[str, Any]] = field(default_factory=list)
    _sms: list[dict[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> OutboxOverHttp:
        """Reads what was sent so far, then keeps up in the background."""
        self._read(wait=0)
        self._thread = threading.Thread(target=self._follow, name="outbox-reader", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.wait_seconds + 5)

    def sent_emails(self, start: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return self._mail[start:]

    def sent_sms(self, start: int = 0) -> list[dict[str, str]]:
        with self._lock:
            return self._sms[start:]

    def _follow(self) -> None:
        while not self._stop.is_set():
            try:
                self._read(wait=self.wait_seconds)
            except (OSError, RuntimeError):  # the product is restarting or stopping: ask again in a moment
                self._stop.wait(0.5)

    def _read(self, wait: float) -> None:
        with self._lock:
            query = urllib.parse.urlencode({"mail": len(self._mail), "sms": len(self._sms), "wait": wait})
        answer = OverHttp(self.base_url).request("GET", f"/outbox/messages?{query}", {})
        if answer.status_code != 200:
            raise RuntimeError(f"the outbox could not be read: {answer.status_code}")
        sent = json.loads(answer.body)
        with self._lock:
            self._mail += sent["mail"]
            self._sms += sent["sms"]


@dataclass
class Page:
    status: int
    html: str
    location: str | None


CSRF = re.compile(r'name="csrf" value="(?P<token>[^"]+)"')


@dataclass
class Visitor:
    """Someone using the portal's pages over real HTTP as a browser without scripts does: the cookies the site
    sets are kept and sent back, forms are posted with the CSRF token of the page they were on. Redirects are
    not followed, so that a test sees each answer."""

    base_url: str
    cookies: dict[str, str] = field(default_factory=dict)
    last: Page | None = None
    timeout: float = 60.0

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Page:
        url = urllib.parse.urlsplit(self.base_url)
        connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=self.timeout)
        headers = {"Accept-Language": "sv-SE,sv;q=0.9"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = urllib.parse.urlencode(form or {}).encode() if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = cookie.partition("=")
                value = rest.split(";", 1)[0]
                if "Max-Age=0" in cookie:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
            page = Page(response.status, response.read().decode(errors="replace"), response.headers.get("Location"))
        finally:
            connection.close()
        if page.html:
            self.last = page
        return page

    def get(self, path: str) -> Page:
        return self.request("GET", path)

    def submit(self, path: str, fields: dict[str, str] | None = None) -> Page:
        """Posts a form, with the CSRF token of the last page seen."""
        token = CSRF.search(self.last.html) if self.last else None
        return self.request("POST", path, {**({"csrf": token["token"]} if token else {}), **(fields or {})})

    def sign_in(self, user_id: str, password: str = demo.PASSWORD) -> Visitor:
        self.get("/sign-in")
        answer = self.submit("/sign-in", {"username": user_id, "password": password})
        if answer.status != 303:
            raise RuntimeError(f"{user_id} could not sign in to the portal: {answer.status}")
        self.get(answer.location or "/")
        return self


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class Person:
    """`http` is a `chalice.test.Client().http`; `around_request` lets a caller wrap each request (the benchmark
    attributes AWS calls to routes with it)."""

    user_id: str
    http: Any
    aws: Mailbox  # where their mail and SMS are read
    around_request: Callable[[str, str], AbstractContextManager[None]] = _no_wrapping
    token: str = ""
    seen_mail: set[str] = field(default_factory=set)
    # The mails to this person not read yet, and how many of all sent mails have been looked through for them.
    unread_mail: list[dict[str, Any]] = field(default_factory=list)
    mail_position: int = 0
    requests: int = 0

    @property
    def _demo(self) -> demo.DemoPerson:
        return next(person for person in demo.PEOPLE if person.user_id == self.user_id)

    @property
    def email(self) -> str:
        return self._demo.email

    @property
    def phone(self) -> str:
        return self._demo.phone

    def sign_in(self) -> Person:
        reply = self.post("/api/session", {"username": self.user_id, "password": demo.PASSWORD})
        if reply.status != 200:
            raise RuntimeError(f"{self.user_id} could not sign in: {reply.body}")
        self.token = reply.body["id_token"]
        sent = self.aws.sent_emails()
        self.seen_mail = {message["id"] for message in sent}  # only what arrives from now on
        self.unread_mail, self.mail_position = [], len(sent)
        return self

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, raw: bytes | None = None
    ) -> Reply:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        self.requests += 1
        with self.around_request(method, path):
            result = self.http.request(method, path, headers=sent, body=payload)
        try:
            parsed = json.loads(result.body) if result.body else None
        except ValueError:
            parsed = result.body.decode(errors="replace")
        return Reply(result.status_code, parsed, dict(result.headers))

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Reply:
        return self.request("POST", path, body, headers)

    def submit(self, order: dict[str, Any], key: str | None = None) -> Reply:
        return self.post("/api/orders", order, {"Idempotency-Key": key or uuid.uuid4().hex})

    # --- the mailbox and the phone -----------------------------------------------------------------

    def next_email(self, subject: str, number: str, timeout: float = 20.0) -> dict[str, Any]:
        """Waits for the next unread e-mail to this person about order `number` whose subject contains `subject`.

        The number is required: steps of other orders may still be mailing the same people, as in a real inbox.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # Only the mails sent since the last look are read; the earlier ones to this person wait in unread_mail.
            arrived = self.aws.sent_emails(self.mail_position)
            self.mail_position += len(arrived)
            self.unread_mail += [message for message in arrived if self.email in message["to"]]
            for message in self.unread_mail:
                if message["id"] in self.seen_mail:
                    continue
                if subject in message["subject"] and number in message["subject"]:
                    self.seen_mail.add(message["id"])
                    self.unread_mail.remove(message)
                    return message
            time.sleep(0.02)
        subjects = [m["subject"] for m in self.aws.sent_emails() if self.email in m["to"]]
        raise AssertionError(f"no e-mail '{subject}' about {number} reached {self.user_id}; they have: {subjects}")

    def approval_link(self, subject: str, number: str) -> str:
        """The approval id from the link in this person's next e-mail about order `number`."""
        match = LINK.search(self.next_email(subject, number)["body"])
        if match is None:
            raise AssertionError("the e-mail has no approval link")
        return match["id"]

    def latest_code(self, after: int, timeout: float = 20.0) -> str:
        """The code in the newest SMS to this person among those sent after the first `after`, waiting for the
        first (a mailbox read over HTTP has it a moment after it was sent)."""
        deadline = time.monotonic() + timeout
        while not (texts := [sms["text"] for sms in self.aws.sent_sms(after) if sms["to"] == self.phone]):
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        match = CODE.search(texts[-1]) if texts else None
        if match is None:
            raise AssertionError(f"no SMS with a code reached {self.user_id}")
        return match["code"]

    def sign_with_code(self, approval_id: str) -> str:
        """Asks for a one-time code and reads it from the SMS (R-ORD-4)."""
        before = len(self.aws.sent_sms())
        reply = self.post(f"/api/approvals/{approval_id}/code")
        if reply.status != 202:
            raise AssertionError(f"no code for {self.user_id}: {reply.body}")
        return self.latest_code(before)

    def attest(self, approval_id: str, decision: str = "approve", reason: str | None = None) -> Reply:
        body: dict[str, Any] = {"decision": decision, "one_time_code": self.sign_with_code(approval_id)}
        if reason:
            body["reason"] = reason
        return self.post(f"/api/approvals/{approval_id}/decision", body)


def placed(reply: Reply) -> tuple[str, str]:
    """The id and the number of the order a submit created."""
    if reply.status != 201:
        raise AssertionError(f"the submit was refused: {reply.body}")
    return str(reply.body["order_id"]), str(reply.body["number"])


# --- sample orders and reviews -------------------------------------------------------------------------


@cache
def terms_version() -> int:
    """The version of the terms in the demo catalogue: the one an orderer reads and accepts."""
    return demo.catalogue().terms_version


def via_agent_order(**changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "offering_id": "webcert-integrated-via-agent",
        "care_units": [
            {"name": "Vårdcentral Norr", "hsa_id": "SE2321000099-VCN1"},
            {"name": "Vårdcentral Syd", "hsa_id": "SE2321000099-VCS1"},
        ],
        "source_system": "CGM J4",
        "agent_org_id": "agent-cgm",
        "declarations": {"personal-data": True, "security-requirements": True},
        "invoice": {"kind": "saved", "invoice_id": "inv-main"},
        "attester_id": "adam.attester",
        "terms_accepted": True,
        "terms_version": terms_version(),
    }
    order.update(changes)
    return order


def direct_order(**changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "offering_id": "webcert-standalone",
        "care_units": [{"name": "Vårdcentral Öst", "hsa_id": "SE2321000099-VCO1"}],
        "declarations": {"personal-data": True},
        "invoice": {"kind": "new", "address": "Region Norrby, Box 200, 901 00 Norrby", "reference": "RN-77"},
        "attester_id": "adam.attester",
        "terms_accepted": True,
        "terms_version": terms_version(),
    }
    order.update(changes)
    return order


def agent_review(attester_id: str = "alva.attester", invoice: dict[str, Any] | None = None) -> dict[str, Any]:
    """The agent handler's review: new invoice details unless `invoice` says otherwise (`{"kind": "saved",
    "invoice_id": "inv-cgm"}`, CGM's saved ones)."""
    return {
        "declaration_accepted": True,
        "invoice": invoice or {"kind": "new", "address": "CGM, Box 5, 111 11 Stockholm", "reference": "CGM-123"},
        "attester_id": attester_id,
    }


def requisitioners_order(**changes: Any) -> dict[str, Any]:
    """A direct order of Fjällby Rekvisition's orderers, attested by the requisitioner's own account."""
    return direct_order(
        **{
            "care_units": [{"name": "Fjällby vårdcentral", "hsa_id": "SE2321000099-FJV1"}],
            "invoice": {"kind": "new", "address": "Fjällby Rekvisition, Box 1, 981 00 Fjällby", "reference": "FR-1"},
            "attester_id": "rita.requisitioner",
            **changes,
        }
    )
