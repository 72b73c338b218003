"""`make smoke STAGE=...`: after a deploy, a direct order walked to its case on the deployed stage.

The smoke-test orderer signs in and submits a direct order naming the smoke-test attester; the attester signs in
to the portal, opens the step from their list, asks for a one-time code and signs with it (R-ORD-4); the order
must then reach its case (R-ORD-2). The attester's phone number is the stage's smoke-test number
(chalicelib/manifest.py), whose codes the stage publishes to its smoke-codes topic instead of a phone; they are
read from the queue subscribed to it. Passwords come from the environment (SMOKE_ORDERER_PASSWORD,
SMOKE_ATTESTER_PASSWORD), never from the command line. docs/deploy.md, "Smoke test".
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import sys
import time
import urllib.parse
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

CSRF = re.compile(r'name="csrf" value="(?P<token>[^"]+)"')
CODE = re.compile(r"\b(?P<code>\d{6})\b")
ATTESTATION = "customer_attestation"
DEFAULT_ORDER = {
    "offering_id": "webcert-standalone",
    "care_units": [{"name": "Vårdcentral Öst", "hsa_id": "SE2321000099-VCO1"}],
    "declarations": {"personal-data": True},
    "invoice": {"kind": "new", "address": "Smoke test, not to be invoiced", "reference": "SMOKE"},
}


class SmokeFailed(RuntimeError):
    """A step of the smoke test did not answer as it must; the message says which and what came back."""


@dataclass
class Answer:
    status: int
    body: str
    location: str | None

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Client:
    """Requests to the stage over HTTP(S), keeping the cookies it sets; redirects are not followed."""

    base_url: str
    timeout: float = 30.0
    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""

    def request(self, method: str, path: str, *, json_body: Any = None, form: dict[str, str] | None = None,
                headers: dict[str, str] | None = None) -> Answer:  # fmt: skip
        url = urllib.parse.urlsplit(self.base_url)
        connection_type = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        connection = connection_type(url.hostname or "", url.port, timeout=self.timeout)
        sent = {"Accept-Language": "en", **(headers or {})}
        body: bytes | None = None
        if json_body is not None:
            body, sent["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        if form is not None:
            body, sent["Content-Type"] = urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        try:
            connection.request(method, url.path.rstrip("/") + path, body=body, headers=sent)
            response = connection.getresponse()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = cookie.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            return Answer(response.status, response.read().decode(errors="replace"), response.headers.get("Location"))
        finally:
            connection.close()


def expect(answer: Answer, status: int, what: str) -> Answer:
    if answer.status != status:
        raise SmokeFailed(f"{what}: expected {status}, got {answer.status}: {answer.body[:300]}")
    return answer


def api_sign_in(base_url: str, username: str, password: str) -> Client:
    client = Client(base_url)
    answer = expect(
        client.request("POST", "/api/session", json_body={"username": username, "password": password}),
        200,
        f"{username} signs in to the API",
    )
    client.token = answer.json()["id_token"]
    return client


def portal_sign_in(base_url: str, username: str, password: str) -> Client:
    visitor = Client(base_url)
    page = expect(visitor.request("GET", "/sign-in"), 200, "the sign-in page")
    token = CSRF.search(page.body)  # the sign-in form has none before a session exists
    fields = {"username": username, "password": password, **({"csrf": token["token"]} if token else {})}
    answer = visitor.request("POST", "/sign-in", form=fields)
    expect(answer, 303, f"{username} signs in to the portal")
    return visitor


def csrf(page: Answer) -> str:
    match = CSRF.search(page.body)
    if match is None:
        raise SmokeFailed("the page has no CSRF token")
    return match["token"]


def wait_for(what: str, check: Callable[[], Any], timeout: float, interval: float = 2.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise SmokeFailed(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)


@dataclass
class CodesQueue:
    """The stage's smoke-codes queue: the text published for the smoke-test number holds the code."""

    queue_url: str
    region: str
    client: Any = None

    def __post_init__(self) -> None:
        self.client = self.client or boto3.client("sqs", region_name=self.region)

    def code_sent_after(self, moment_ms: int) -> str | None:
        answer = self.client.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageSystemAttributeNames=["All"]
        )
        found = None
        for message in answer.get("Messages", []):
            self.client.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            sent = int(message.get("Attributes", {}).get("SentTimestamp", moment_ms))
            match = CODE.search(message["Body"])
            if match and sent >= moment_ms:
                found = match["code"]
        return found


def walk_a_direct_order(
    base_url: str,
    orderer: tuple[str, str],
    attester: tuple[str, str],
    codes: CodesQueue,
    order: dict[str, Any] | None = None,
    timeout: float = 300.0,
    say: Callable[[str], None] = print,
) -> str:
    """The smoke test itself; answers the order's id once it has its case."""
    health = Client(base_url)
    expect(health.request("GET", "/api/health"), 200, "the health check")
    say("health: ok")

    ordering = api_sign_in(base_url, *orderer)
    catalogue = expect(ordering.request("GET", "/api/catalogue"), 200, "the catalogue").json()
    body = {
        **DEFAULT_ORDER,
        **(order or {}),
        "attester_id": attester[0],
        "terms_accepted": True,
        "terms_version": catalogue["terms_version"],
    }
    submitted = ordering.request("POST", "/api/orders", json_body=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    placed = expect(submitted, 201, "the orderer submits a direct order").json()
    order_id = placed["order_id"]
    say(f"order submitted: {placed['number']}")

    attesting = api_sign_in(base_url, *attester)

    def attestation_waiting() -> bool:
        pending = expect(attesting.request("GET", "/api/pending?limit=100"), 200, "the attester's list").json()
        return any(line["order_id"] == order_id and line["step"] == ATTESTATION for line in pending["pending"])

    wait_for("the attestation step opens for the attester", attestation_waiting, timeout)
    say("attestation step open")

    visitor = portal_sign_in(base_url, *attester)
    step = f"/orders/{order_id}/steps/{ATTESTATION}"
    page = expect(visitor.request("GET", step), 200, "the attester opens the step")
    asked_ms = int(time.time() * 1000) - 5000  # clocks of this machine and SQS may differ by a few seconds
    page = expect(visitor.request("POST", f"{step}/code", form={"csrf": csrf(page)}), 200, "a one-time code")
    code = wait_for("the one-time code reaches the smoke-codes queue", lambda: codes.code_sent_after(asked_ms), 60)
    decided = visitor.request(
        "POST", f"{step}/decision", form={"csrf": csrf(page), "decision": "approve", "one_time_code": code}
    )
    expect(decided, 303, "the attester signs the attestation with the code")
    say("attested")

    def has_its_case() -> bool:
        read = expect(ordering.request("GET", f"/api/orders/{order_id}"), 200, "the order").json()
        if read["order"]["status"] not in ("in_progress", "completed"):
            raise SmokeFailed(f"the order ended {read['order']['status']}")
        return any(event["action"] == "case_created" for event in read["history"])

    wait_for("the order reaches its case", has_its_case, timeout)
    say(f"case created for {placed['number']}: the stage works")
    return str(order_id)


def main(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", required=True, help="the stage's public base URL")
    parser.add_argument("--region", required=True)
    parser.add_argument("--codes-queue-url", required=True, help="the stack's output SmokeCodesQueueUrl")
    parser.add_argument("--orderer", default="smoke.orderer", help="the smoke-test orderer's user name")
    parser.add_argument("--attester", default="smoke.attester", help="the smoke-test attester's user name")
    parser.add_argument("--order-file", type=Path, help="JSON merged into the default direct order")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds each wait may take")
    arguments = parser.parse_args(argv)
    environ = dict(os.environ) if environ is None else environ
    missing = [name for name in ("SMOKE_ORDERER_PASSWORD", "SMOKE_ATTESTER_PASSWORD") if not environ.get(name)]
    if missing:
        print(f"Set {' and '.join(missing)} (docs/deploy.md, 'Smoke test').", file=sys.stderr)
        return 2
    order = json.loads(arguments.order_file.read_text(encoding="utf-8")) if arguments.order_file else None
    try:
        walk_a_direct_order(
            arguments.base_url,
            (arguments.orderer, environ["SMOKE_ORDERER_PASSWORD"]),
            (arguments.attester, environ["SMOKE_ATTESTER_PASSWORD"]),
            CodesQueue(arguments.codes_queue_url, arguments.region),
            order,
            arguments.timeout,
        )
    except SmokeFailed as failure:
        print(f"SMOKE TEST FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
