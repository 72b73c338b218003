"""The local product's HTTP server (`make run` and the `served` fixture): it holds many clients at once, and its
access log shows which route was asked for, never an approval link's id."""

from __future__ import annotations

import http.client
import json
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

CLIENTS = 50
# Under the kernel's first SYN retransmission (1 s): a connection the listen backlog has no room for is dropped
# and waits that long (Linux), or is reset (macOS, BSD, Linux with tcp_abort_on_overflow). Loopback
# connects otherwise take microseconds.
CONNECT_SECONDS = 0.9
ANSWER_SECONDS = 60.0


def connection(base_url: str, connect_seconds: float = CONNECT_SECONDS) -> http.client.HTTPConnection:
    url = urlsplit(base_url)
    opened = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=connect_seconds)
    opened.connect()
    assert opened.sock is not None
    opened.sock.settimeout(ANSWER_SECONDS)
    return opened


def exchange(
    base_url: str, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None
) -> int:
    opened = connection(base_url, ANSWER_SECONDS)
    try:
        opened.request(method, path, body=body, headers=headers or {})
        answer = opened.getresponse()
        answer.read()
        return answer.status
    finally:
        opened.close()


def test_fifty_clients_at_once_are_all_answered(served):
    paths = ["/api/health" if n % 3 else "/sign-in" for n in range(CLIENTS)]
    start = threading.Barrier(CLIENTS)

    def client(path: str) -> int | str:
        start.wait(timeout=30)  # every client connects in the same instant, as a page's assets and a load test do
        try:
            opened = connection(served)
        except OSError as error:
            return f"connect {path}: {type(error).__name__}: {error}"
        try:
            opened.request("GET", path)
            answer = opened.getresponse()
            answer.read()
            return answer.status
        except (OSError, http.client.HTTPException) as error:
            return f"GET {path}: {type(error).__name__}: {error}"
        finally:
            opened.close()

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        outcomes = list(pool.map(client, paths))

    assert [outcome for outcome in outcomes if outcome != 200] == []


def test_the_access_log_names_routes_and_never_a_link_id(served, person, capfd: pytest.CaptureFixture[str]):
    signed_in = {"Authorization": f"Bearer {person('hanna.handler').token}", "Content-Type": "application/json"}
    link_id = secrets.token_urlsafe(24)  # the shape of a real link id: 32 characters
    cursor = secrets.token_urlsafe(24)
    capfd.readouterr()  # only what the server logs from here on

    page = exchange(served, "GET", f"/approvals/{link_id}")
    reading = exchange(served, "GET", f"/api/approvals/{link_id}", signed_in)
    deciding = exchange(
        served, "POST", f"/api/approvals/{link_id}/decision", signed_in, json.dumps({"decision": "approve"}).encode()
    )
    unrouted = exchange(served, "GET", f"/api/approvals/{link_id}/elsewhere?cursor={cursor}&limit=5")
    listing = exchange(served, "GET", f"/api/orders?cursor={cursor}", signed_in)

    logged = "".join(capfd.readouterr())
    assert link_id not in logged
    assert cursor not in logged
    # Each request's line: the method, the route (or the path with secrets taken out) and the status answered.
    assert f'"GET /approvals/{{approval_id}} HTTP/1.1" {page}' in logged
    assert f'"GET /api/approvals/{{approval_id}} HTTP/1.1" {reading}' in logged
    assert f'"POST /api/approvals/{{approval_id}}/decision HTTP/1.1" {deciding}' in logged
    assert f'"GET /api/approvals/<redacted>/elsewhere?… HTTP/1.1" {unrouted}' in logged
    assert f'"GET /api/orders?… HTTP/1.1" {listing}' in logged
