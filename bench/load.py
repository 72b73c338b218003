"""`make load`: N complete via-agent orders driven by K groups of people in parallel, over the HTTP API of the
local product (`make run`'s server and embedded AWS), every link and code read from the mail and SMS they are
sent. The people act from a process of their own and read their mail and SMS from the local outbox over HTTP, as
a load generator would, so the product's time, CPU and memory are its own. Prints orders per second, the
product's CPU per order, p50/p95 per request type and the product's memory before and after, each next to its
target from issue 11, and checks that every order completed with its full history and exactly one case.

A figure, not a check of speed: the run fails only when an order does not complete as it must.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import re
import resource
import socket
import sys
import time
import traceback
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from queue import Queue
from statistics import median, quantiles
from threading import Lock
from typing import Any

from chalicelib.observability import logger
from local.embedded_aws import EmbeddedAws
from local.http_server import access_log
from local.people import CODE, LINK, OutboxOverHttp, OverHttp, Person, agent_review, placed, via_agent_order

PEOPLE = ("olivia.orderer", "hanna.handler", "alva.attester", "adam.attester")
# R-ORD-8: what a completed via-agent order's history holds, in order.
FULL_HISTORY = [
    ("submitted", None),
    ("step_opened", "agent_approval"),
    ("approved", "agent_approval"),
    ("step_opened", "agent_attestation"),
    ("approved", "agent_attestation"),
    ("step_opened", "customer_attestation"),
    ("approved", "customer_attestation"),
    ("case_created", None),
]
# Issue 11's targets.
TARGET_ORDERS_PER_SECOND = 5.0
TARGET_MEMORY_MB = 400
# An approval link's id is a secret and varies: requests are grouped by the route's pattern.
IDS = re.compile(r"/(approvals|orders)/[A-Za-z0-9_-]+")


def route_of(method: str, path: str) -> str:
    return f"{method} {IDS.sub(lambda match: f'/{match[1]}/{{id}}', path.split('?', 1)[0])}"


def rss_mb() -> float:
    """The process's resident memory now, from /proc (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Timings:
    by_route: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    lock: Lock = field(default_factory=Lock)

    @contextmanager
    def around(self, method: str, path: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            with self.lock:
                self.by_route[route_of(method, path)].append(time.perf_counter() - started)


def code_for(person: Person, approval_id: str, number: str, timeout: float = 60.0) -> str:
    """Asks for a one-time code and reads it from the SMS about this order: other groups' orders text the
    same attester at the same time, so the newest SMS to the phone may be another order's (R-ORD-4)."""
    before = len(person.aws.sent_sms())  # a copy of the outbox in the people's process: cheap
    reply = person.post(f"/api/approvals/{approval_id}/code")
    if reply.status != 202:
        raise RuntimeError(f"no code for {person.user_id}: {reply.status}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for sms in reversed(person.aws.sent_sms(before)):
            if sms["to"] == person.phone and number in sms["text"] and (match := CODE.search(sms["text"])):
                return match["code"]
        time.sleep(0.02)
    raise RuntimeError(f"no SMS with a code about {number} reached {person.user_id}")


def link_for(person: Person, subject: str, number: str) -> str:
    """The approval id from the link in this person's next mail about the order (a busy product may take
    longer than a test's wait)."""
    match = LINK.search(person.next_email(subject, number, timeout=120)["body"])
    if match is None:
        raise RuntimeError("the e-mail has no approval link")
    return match["id"]


def _decide(person: Person, approval_id: str, decision: dict[str, Any]) -> None:
    reply = person.post(f"/api/approvals/{approval_id}/decision", decision)
    if reply.status != 200:
        raise RuntimeError(f"{person.user_id}'s decision was refused: {reply.status}")


def drive(people: dict[str, Person]) -> str:
    """One via-agent order: submit, agent approval, agent attestation, customer attestation (R-ORD-2)."""
    olivia, hanna, alva, adam = (people[user_id] for user_id in PEOPLE)
    order_id, number = placed(olivia.submit(via_agent_order()))
    approval_id = link_for(hanna, "granska beställning", number)
    hanna.get(f"/api/approvals/{approval_id}")
    _decide(hanna, approval_id, {"decision": "approve", "agent_review": agent_review()})
    for attester in (alva, adam):
        approval_id = link_for(attester, "attestera beställning", number)
        attester.get(f"/api/approvals/{approval_id}")
        _decide(
            attester, approval_id, {"decision": "approve", "one_time_code": code_for(attester, approval_id, number)}
        )
    return order_id


def check(aws: EmbeddedAws, orderer: Person, service: Person, order_ids: list[str]) -> list[str]:
    """Every order completed with its full history and exactly one case; the problems found."""
    problems: list[str] = []
    for order_id in order_ids:
        execution = aws.wait_for_execution(order_id)
        if execution["status"] != "SUCCEEDED":
            problems.append(f"{order_id}: execution {execution['status']}")
            continue
        reply = orderer.get(f"/api/orders/{order_id}")
        if reply.status != 200 or reply.body["order"]["status"] != "completed":
            problems.append(f"{order_id}: not completed")
            continue
        history = [(event["action"], event["step"]) for event in reply.body["history"]]
        if history != FULL_HISTORY:
            problems.append(f"{order_id}: history {history}")
    cases: dict[str, int] = defaultdict(int)
    cursor: str | None = None
    while True:
        page = service.get("/api/cases?limit=100" + (f"&cursor={cursor}" if cursor else ""))
        if page.status != 200:
            problems.append(f"the cases could not be listed: {page.status}")
            break
        for case in page.body["cases"]:
            cases[case["order_id"]] += 1
        cursor = page.body.get("next")
        if not cursor:
            break
    problems.extend(f"{order_id}: {cases[order_id]} cases" for order_id in order_ids if cases[order_id] != 1)
    return problems


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _percentile(samples: list[float], point: int) -> float:
    return quantiles(samples, n=100, method="inclusive")[point - 1] if len(samples) > 1 else samples[0]


def report(figures: dict[str, Any]) -> str:
    lines = [
        f"Load: {figures['orders']} via-agent orders, {figures['parallel']} groups of people in parallel, "
        "over HTTP on the local product",
        f"  orders per second      {figures['orders_per_second']:8.2f}   (target >= {TARGET_ORDERS_PER_SECOND:g})",
        f"  product CPU per order  {figures['cpu_seconds_per_order']:8.2f} s (user and system; the people's "
        "process not)",
        f"  memory before          {figures['rss_before_mb']:8.0f} MB",
        f"  memory after           {figures['rss_after_mb']:8.0f} MB (target <= {TARGET_MEMORY_MB} MB after 1,000 "
        f"orders; {figures['mb_per_order']:.1f} MB per order here)",
        f"  first / last tenth     {figures['first_tenth_s']:8.2f} s / {figures['last_tenth_s']:.2f} s per order "
        "(target: flat)",
        "  request                                        count    p50 ms   p95 ms",
    ]
    for route, row in sorted(figures["requests"].items()):
        lines.append(f"  {route:<45} {row['count']:6d} {row['p50_ms']:9.1f} {row['p95_ms']:8.1f}")
    lines.append(
        "  every order completed with its full history and one case"
        if not figures["problems"]
        else "  PROBLEMS:\n    " + "\n    ".join(figures["problems"])
    )
    return "\n".join(lines)


def drive_orders(base_url: str, orders: int, parallel: int, conduit: Connection) -> None:
    """The people's side, in a process of its own: K groups sign in, say they are ready, and on the word drive
    N orders over HTTP, reading their mail and SMS from the local outbox over HTTP (`OutboxOverHttp`). What they
    measured goes back through `conduit`."""
    logger.setLevel("ERROR")
    try:
        timings = Timings()
        outbox = OutboxOverHttp(base_url).start()
        groups = [
            {user_id: Person(user_id, OverHttp(base_url), outbox, timings.around).sign_in() for user_id in PEOPLE}
            for _ in range(parallel)
        ]
        timings.by_route.clear()  # the sign-ins are no part of an order
        durations: list[tuple[float, float]] = []
        free: Queue[dict[str, Person]] = Queue()
        for group in groups:
            free.put(group)

        def one(_: int) -> str:
            # Each group of people drives one order at a time, as one team would.
            group = free.get()
            try:
                began = time.perf_counter()
                order_id = drive(group)
                with timings.lock:
                    durations.append((began, time.perf_counter() - began))
                return order_id
            finally:
                free.put(group)

        conduit.send("ready")
        conduit.recv()
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            order_ids = list(pool.map(one, range(orders)))
        outbox.stop()
        conduit.send(
            {"order_ids": order_ids, "durations": durations, "by_route": dict(timings.by_route), "problem": None}
        )
    except Exception:  # noqa: BLE001 - whatever stopped the people is the run's answer
        conduit.send({"problem": traceback.format_exc()})


def _receive(conduit: Connection, people: BaseProcess) -> Any:
    """The people's next word; an error if their process ended without one."""
    while not conduit.poll(1.0):
        if not people.is_alive():
            raise RuntimeError(f"the people's process ended without an answer (exit code {people.exitcode})")
    return conduit.recv()


def product_cpu_seconds() -> float:
    """User and system CPU of this process (the product), its threads included and the people's process not."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(orders: int, parallel: int) -> dict[str, Any]:
    """The product serves in this process; the people act from another (`drive_orders`), as a load generator
    would, so that the product's figures (time, CPU, memory) are its own."""
    from local.run import local_product

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    with local_product(port=port) as aws:
        ours, theirs = multiprocessing.get_context("spawn").Pipe()
        people = multiprocessing.get_context("spawn").Process(
            target=drive_orders, args=(base_url, orders, parallel, theirs), name="people", daemon=True
        )
        people.start()
        ready = _receive(ours, people)
        if ready != "ready":
            raise RuntimeError(f"the people could not start:\n{ready['problem']}")
        before, cpu_before = rss_mb(), product_cpu_seconds()
        started = time.perf_counter()
        ours.send("go")
        driven = _receive(ours, people)
        people.join(timeout=30)
        if driven["problem"]:
            raise RuntimeError(f"the people stopped:\n{driven['problem']}")
        order_ids: list[str] = driven["order_ids"]
        for order_id in order_ids:
            aws.wait_for_execution(order_id)
        elapsed = time.perf_counter() - started
        after, cpu = rss_mb(), product_cpu_seconds() - cpu_before
        # The check's own reads are no part of the figures.
        checker = Person("olivia.orderer", OverHttp(base_url), aws).sign_in()
        service = Person("kim.service", OverHttp(base_url), aws).sign_in()
        problems = check(aws, checker, service, order_ids)
    ordered = [took for _, took in sorted(driven["durations"])]
    tenth = max(1, len(ordered) // 10)
    return {
        "orders": orders,
        "parallel": parallel,
        "seconds": round(elapsed, 2),
        "orders_per_second": orders / elapsed,
        "cpu_seconds_per_order": cpu / orders,
        "rss_before_mb": before,
        "rss_after_mb": after,
        "mb_per_order": (after - before) / orders,
        "first_tenth_s": median(ordered[:tenth]),
        "last_tenth_s": median(ordered[-tenth:]),
        "requests": {
            route: {
                "count": len(samples),
                "p50_ms": median(samples) * 1000,
                "p95_ms": _percentile(samples, 95) * 1000,
            }
            for route, samples in driven["by_route"].items()
        },
        "problems": problems,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=16, help="via-agent orders driven end to end (N)")
    parser.add_argument("--parallel", type=int, default=8, help="groups of people acting at once (K)")
    parser.add_argument("--output", type=Path, help="where the figures go as JSON (make bench reads them)")
    options = parser.parse_args(argv)
    # The app's log lines would bury the report; errors still show. So would the local server's access log (a
    # line per request) and moto's engine, which logs at ERROR each path a state's Catch or Choice then handles.
    logger.setLevel("ERROR")
    access_log.setLevel(logging.WARNING)
    logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component").setLevel(logging.CRITICAL)
    figures = measure(options.orders, options.parallel)
    print(report(figures), flush=True)
    if options.output is not None:
        options.output.write_text(json.dumps(figures, indent=2) + "\n")
    if figures["problems"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
