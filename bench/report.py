"""The plain-text report: one section per figure, aligned columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.measure import table

RULE = "=" * 100


def _title(number: int, text: str) -> str:
    return f"\n{number}. {text}\n{'-' * (len(text) + 3)}"


def _spread_row(label: str, figures: dict[str, Any]) -> list[object]:
    return [label, figures["median_ms"], figures["min_ms"], figures["max_ms"]]


def _count_rows(counts: dict[str, float]) -> list[list[object]]:
    rows: list[list[object]] = []
    for name, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        service, _, operation = name.partition(":")
        rows.append([operation or service, service if operation else "", _number(count)])
    return rows


def _actor_order(item: tuple[str, dict[str, float]]) -> tuple[int, str]:
    actor = item[0]
    return (0 if actor.startswith(("GET", "POST")) else 1 if actor.startswith("task") else 2, actor)


def _number(value: float) -> object:
    return int(value) if float(value).is_integer() else value


def header(machine: dict[str, Any]) -> str:
    packages = ", ".join(f"{name} {version}" for name, version in machine["packages"].items())
    return "\n".join(
        [
            RULE,
            f"service-orders benchmark   {machine['date']}",
            f"Python {machine['python']} on {machine['platform']}, {machine['cpu_count']} CPUs "
            f"({machine['usable_cpus']} usable)",
            packages,
            "Figures, not thresholds. AWS is moto in this process: compare figures with each other, not with AWS.",
            RULE,
        ]
    )


def cold_start(figures: dict[str, Any]) -> str:
    runs = figures["runs"]
    container = figures["container"]
    extra = figures["modules_only_the_app_imports_ms"]
    first = figures["first_request"]
    teardown = figures["with_teardown"]
    return "\n".join(
        [
            _title(1, f"Cold start: wall time of a fresh interpreter until its code has run, {runs} runs each"),
            table(
                ["process", "median ms", "min ms", "max ms"],
                [
                    _spread_row('python -c "pass"', figures["interpreter_only"]),
                    _spread_row("bare import of the first request's third-party imports", figures["bare_dependencies"]),
                    _spread_row('python -c "import app"', figures["app"]),
                    _spread_row("bare import + the same boto3 clients", figures["bare_first_request"]),
                    _spread_row(
                        "first request: import app, its area, its part of container()", figures["app_first_request"]
                    ),
                ],
            ),
            f"  first request ({first['route']}: services {', '.join(first['services'])}; adapters "
            f"{', '.join(first['adapters'])}), app / bare + clients: {figures['first_request_ratio']:.2f}x "
            f"(target <= 1.15x; clients: {', '.join(figures['first_request_clients'])})",
            f"  the same with the interpreter's teardown, which a cold start does not have: "
            f"{teardown['first_request_ratio']:.2f}x ({teardown['app_first_request']['median_ms']:,.1f} / "
            f"{teardown['bare_first_request']['median_ms']:,.1f} ms)",
            f"  import app alone / the bare import: {figures['app_over_bare_ratio']:.2f}x (the app imports the rest "
            f"when the request comes)    "
            f"app - bare: {figures['app_minus_bare_ms']:,.1f} ms",
            "",
            "  Modules only the app's first request imports, by package (own import time, one -X importtime run):",
            table(["package", "ms"], [[package, ms] for package, ms in extra.items()], indent="    "),
            "",
            f"  The first request's steps in a fresh interpreter ({container['first_build']['n']} runs):",
            table(
                ["step", "median ms", "min ms", "max ms"],
                [
                    _spread_row("import app", container["import_app"]),
                    _spread_row("its route's area loaded", container["area"]),
                    _spread_row("its part of container() built", container["first_build"]),
                    _spread_row("built again (cache cleared)", container["second_build"]),
                ],
                indent="    ",
            ),
        ]
    )


def handler_cost(figures: dict[str, Any]) -> str:
    calls = figures["aws_calls_per_submit"]
    same = "" if figures["same_calls_every_submit"] else "   (the calls varied between submits)"
    return "\n".join(
        [
            _title(2, f"Handler cost: POST /api/orders, {figures['samples']} submits, each with a new Idempotency-Key"),
            table(
                ["what", "median ms", "min ms", "max ms"],
                [
                    _spread_row("(a) whole POST through chalice.test.Client", figures["handler"]),
                    _spread_row("    of which all AWS calls the handler makes", figures["handler_aws_calls_ms"]),
                    _spread_row(
                        "    of which TransactWriteItems + StartExecution", figures["handler_required_calls_ms"]
                    ),
                    [
                        "    outside AWS calls (app, Chalice, Powertools)",
                        figures["handler_outside_aws_ms"],
                        "",
                        "",
                    ],
                    _spread_row("(b) the two calls made directly", figures["direct_two_calls"]),
                    _spread_row(
                        f"    TransactWriteItems ({figures['transact_items_per_submit']} items)",
                        figures["direct_transact_write_items"],
                    ),
                    _spread_row("    StartExecution (new name)", figures["direct_start_execution"]),
                ],
            ),
            f"  (a) / (b): {figures['handler_over_direct_ratio']:.2f}x    "
            f"all the handler's AWS calls / (b): {figures['handler_aws_over_direct_ratio']:.2f}x",
            f"  first submit in this process: {figures['first_submit_in_process_ms']:,.1f} ms, "
            f"of which AWS calls {figures['first_submit_aws_calls_ms']:,.1f} ms",
            "",
            f"  AWS calls per submit: {figures['aws_calls_per_submit_total']}{same}",
            table(["operation [table]", "service", "calls"], _count_rows(calls), indent="    "),
        ]
    )


def per_order(figures: dict[str, Any]) -> str:
    varied = "" if figures["same_figures_every_order"] else " (the figures varied between orders)"
    transact = figures["transact_write_items"]
    emails = figures["emails_by_subject"]
    return "\n".join(
        [
            _title(
                3,
                f"Per completed via-agent order: average of {figures['orders']} orders driven end to end{varied}",
            ),
            "  submit -> agent approval (hanna.handler) -> agent attestation (alva.attester, SMS code)",
            "  -> customer attestation (adam.attester, SMS code) -> execution SUCCEEDED",
            "",
            table(
                ["figure", "per order"],
                [
                    ["Step Functions state transitions (states entered)", _number(figures["state_transitions"])],
                    ["Step Functions history events", _number(figures["history_events"])],
                    ["DynamoDB write calls", _number(figures["dynamodb_write_calls_total"])],
                    [
                        "DynamoDB items written (transaction items + single writes)",
                        _number(figures["items_written_total"]),
                    ],
                    ["Lambda (task) invocations", _number(sum(figures["lambda_invocations"].values()))],
                    ["e-mails sent", _number(figures["emails"])],
                    ["SMS sent", _number(figures["sms"])],
                    ["API requests by the people", _number(figures["http_requests"])],
                    ["wall time, median s", round(figures["wall"]["median_ms"] / 1000, 2)],
                ],
            ),
            "",
            "  States entered: " + " -> ".join(figures["states_entered"]),
            "",
            "  DynamoDB write calls:",
            table(
                ["operation [table]", "service", "calls"], _count_rows(figures["dynamodb_write_calls"]), indent="    "
            ),
            "",
            "  Items inside TransactWriteItems:",
            table(
                ["kind [table]", "items"],
                [[name, _number(n)] for name, n in sorted(transact.items(), key=lambda kv: -kv[1])],
                indent="    ",
            ),
            "",
            "  Lambda invocations:",
            table(
                ["function", "invocations"],
                [[name, _number(n)] for name, n in sorted(figures["lambda_invocations"].items())],
                indent="    ",
            ),
            "",
            "  E-mails:",
            table(
                ["subject", "messages"],
                [[name, _number(n)] for name, n in sorted(emails.items(), key=lambda kv: (-kv[1], kv[0]))],
                indent="    ",
            ),
            "",
            "  AWS calls by who made them (runs: requests or task invocations):",
            table(
                ["who", "runs", "GetItem", "Query", "writes", "other AWS"],
                [
                    [actor, _number(row["runs"]) if row["runs"] else "-"]
                    + [_number(row[column]) for column in ("GetItem", "Query", "writes", "other AWS")]
                    for actor, row in sorted(figures["by_actor"].items(), key=_actor_order)
                ],
                indent="    ",
            ),
            "",
            "  Every AWS call during the order (the app's, Powertools', and moto's engine invoking the tasks):",
            table(["operation [table]", "service", "calls"], _count_rows(figures["aws_calls"]), indent="    "),
        ]
    )


def table_size(figures: dict[str, Any]) -> str:
    loaded = figures["bulk_load"]
    rows = []
    for name, request in figures["requests"].items():
        small, large = request["small"], request["large"]
        rows.append(
            [
                name,
                small["median_ms"],
                large["median_ms"],
                f"{request['large_over_small_ratio']:.2f}x",
                f"{small['outside_aws_median_ms']:.1f} -> {large['outside_aws_median_ms']:.1f}",
                f"{large['get_item']}/{large['query']}/{large['scan']}",
                f"{small['scanned_count']} -> {large['scanned_count']}",
            ]
        )
    return "\n".join(
        [
            _title(
                4,
                f"Request cost, small vs large table: median of {figures['samples']} requests (small), "
                f"{figures['large_samples']} (large)",
            ),
            f"  small: {figures['small_table_items']:,} items    "
            f"large: {figures['large_table_items']:,} items, after writing {loaded['orders']:,} unrelated orders "
            f"({loaded['items']:,} items) in {loaded['seconds']:.1f} s",
            table(
                ["request", "small ms", "large ms", "large/small", "outside AWS ms", "Get/Query/Scan", "ScannedCount"],
                rows,
            ),
            "  outside AWS ms: the request's time less its AWS calls (app, Chalice, Powertools), small -> large.",
            "  Get/Query/Scan: DynamoDB calls per request. ScannedCount: items its Queries read (DynamoDB's figure).",
            "  The embedded AWS looks every Query up by its hash key, the table's or an index's",
            "  (local/moto_patches.py), so moto no longer walks the whole table for one and the rows stay flat.",
            "  On DynamoDB cost follows the calls and ScannedCount.",
        ]
    )


def footer(runtime_seconds: float, output: Path) -> str:
    return f"\n{RULE}\nTotal runtime {runtime_seconds:.1f} s. Figures as JSON: {output}\n{RULE}"
