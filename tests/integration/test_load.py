"""`make load` (and the end of `make bench`): people in a process of their own drive complete via-agent orders
over the local product's HTTP API, and the run checks each order's history and case (R-ORD-2, R-ORD-8)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_load_run_completes_every_order_and_reports_its_figures(tmp_path: Path):
    output = tmp_path / "load.json"
    finished = subprocess.run(  # noqa: S603 - this interpreter over our own module
        [sys.executable, "-m", "bench.load", "--orders", "3", "--parallel", "2", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    figures = json.loads(output.read_text())
    assert figures["problems"] == []
    assert (figures["orders"], figures["parallel"]) == (3, 2)
    assert figures["orders_per_second"] > 0 and figures["rss_after_mb"] >= figures["rss_before_mb"] > 0
    # Each order: a submit, three opened links, two codes asked for, three decisions.
    counts = {route: row["count"] for route, row in figures["requests"].items()}
    assert counts == {
        "POST /api/orders": 3,
        "GET /api/approvals/{id}": 9,
        "POST /api/approvals/{id}/code": 6,
        "POST /api/approvals/{id}/decision": 9,
    }
    assert "every order completed with its full history and one case" in finished.stdout
    assert "127.0.0.1 - -" not in finished.stderr  # the access log stays out of the report
