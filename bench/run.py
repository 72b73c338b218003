"""`make bench`: cold start, handler cost, what a completed order costs, and request cost against table size.

Figures, not pass/fail: nothing here has a threshold, so a slow machine gives slow figures, never a failure.
Everything runs on the embedded AWS (moto) in this process; docs/benchmarks.md says how to read it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results.json"
VERSIONS = ("moto", "boto3", "chalice", "aws-lambda-powertools", "pydantic")


def machine() -> dict[str, Any]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "platform": f"{platform.system()} {platform.machine()}",
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "packages": {name: metadata.version(name) for name in VERSIONS},
    }


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per cold-start figure")
    parser.add_argument("--samples", type=int, default=15, help="timed requests per figure")
    parser.add_argument("--orders", type=int, default=3, help="via-agent orders driven end to end")
    parser.add_argument("--table-orders", type=int, default=20_000, help="unrelated orders in the large table")
    parser.add_argument(
        "--load-orders", type=int, default=1000, help="via-agent orders of the load run on the local product (0: none)"
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the figures go as JSON")
    return parser.parse_args(argv)


def progress(message: str) -> None:
    print(f"... {message}", file=sys.stderr, flush=True)


def load_run(orders: int, parallel: int = 8) -> dict[str, Any]:
    """`make load`'s run, in a fresh interpreter: the product's memory and CPU are then its own, not this
    process's, which has run the figures above. Its report prints as it ends; its figures come back as JSON."""
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        output = Path(folder) / "load.json"
        subprocess.run(  # noqa: S603 - our own interpreter, our own module
            [
                sys.executable,
                "-m",
                "bench.load",
                "--orders",
                str(orders),
                "--parallel",
                str(parallel),
                "--output",
                str(output),
            ],
            cwd=Path(__file__).resolve().parent.parent,
            check=True,
        )
        figures: dict[str, Any] = json.loads(output.read_text())
        return figures


def main(argv: list[str] | None = None) -> None:
    options = arguments(argv)
    started = time.perf_counter()
    # Before the app is imported: Powertools reads the level when the app's Logger is built.
    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"

    from bench.measure import AwsCallLog

    # Before any client of interest is built: the hook reaches only clients built after it.
    calls = AwsCallLog().install()

    from chalice.test import Client

    from app import app
    from bench import cold_start, handler_cost, package, per_order, report, table_size
    from bench.stage import prepare
    from chalicelib.bootstrap import container
    from local.embedded_aws import embedded_aws
    from local.run import seed_demo

    results: dict[str, Any] = {"machine": machine()}
    print(report.header(results["machine"]), flush=True)

    results["package"] = package.measure()
    print(package.report(results["package"]), flush=True)

    with embedded_aws(app) as aws:
        seed_demo(aws)
        progress(f"cold start: {options.runs} fresh interpreters per figure")
        results["cold_start"] = cold_start.measure(dict(os.environ), options.runs)
        print(report.cold_start(results["cold_start"]), flush=True)

        with Client(app) as client:
            bench_stage = prepare(aws, calls, client.http)

            progress(f"handler cost: {options.samples} submits through the API, {options.samples} direct")
            results["handler_cost"] = handler_cost.measure(bench_stage, options.samples)
            print(report.handler_cost(results["handler_cost"]), flush=True)

            progress(f"per order: {options.orders} via-agent orders end to end")
            results["per_order"] = per_order.measure(bench_stage, options.orders)
            print(report.per_order(results["per_order"]), flush=True)

            progress(f"table size: {options.table_orders:,} unrelated orders to load")
            found = container().adapters.orders.get(results["per_order"]["last_order_id"])
            assert found is not None
            results["table_size"] = table_size.measure(
                bench_stage, found[0].order_id, found[0], options.table_orders, options.samples
            )
            print(report.table_size(results["table_size"]), flush=True)
    container.cache_clear()

    if options.load_orders:
        progress(f"load: {options.load_orders:,} via-agent orders by 8 groups of people, on the local product")
        results["load"] = load_run(options.load_orders)

    results["runtime_seconds"] = round(time.perf_counter() - started, 1)
    options.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(report.footer(results["runtime_seconds"], options.output), flush=True)


if __name__ == "__main__":
    main()
