"""The route table (chalicelib/entrypoints/routes.json) is what the modules declare, and the app declared from it
is the app the modules would make: the same routes, with the same options, and the same functions with the same
handlers (so `chalice package` and the deployment see no difference)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from chalice.app import Chalice, ScheduledEventConfig

import app
from chalicelib.entrypoints.auth import authorizer
from chalicelib.entrypoints.routing import ROUTE_TABLE, declare, every_route, functions_of, route, routes_of, table
from local.event_sources import scheduled_event

ROOT = Path(__file__).resolve().parents[2]


def _declared_app() -> Chalice:
    fresh = Chalice(app_name="declared", configure_logs=False)
    declare(fresh, app.AREAS, app.FUNCTIONS, [authorizer])
    return fresh


def _options(entry):
    return (
        entry.view_name,
        entry.uri_pattern,
        entry.method,
        entry.view_args,
        entry.api_key_required,
        entry.content_types,
        entry.cors,
        entry.authorizer,
        entry.view_function.__doc__,
    )


def test_the_table_is_what_the_modules_declare():
    assert table(app.AREAS, app.FUNCTIONS) == json.loads(ROUTE_TABLE.read_text()), "run `make routes`"


def test_each_declared_route_is_the_route_its_module_declares():
    declared = _declared_app()
    real = {}
    for area in app.AREAS:
        for path, methods in routes_of(area).items():
            for method, entry in methods.items():
                real[path, method] = entry
    stand_ins = {
        (path, method): entry for path, methods in declared.routes.items() for method, entry in methods.items()
    }
    assert stand_ins.keys() == real.keys()
    assert [key for key, entry in stand_ins.items() if _options(entry) != _options(real[key])] == []
    assert all(stand_ins[key].view_function is not real[key].view_function for key in real)  # none loaded yet


def test_a_route_first_called_loads_its_area_in_place():
    """In a fresh interpreter: a blueprint serves one app, so this test loads no area of the tests' app."""
    probe = """
import json
import app
from chalicelib.entrypoints.routing import every_route, route, routes_of
routes = app.app.routes
stand_in = routes["/api/catalogue"]["GET"]
loaded = route(app.app, "/api/catalogue", "GET")
orders = routes_of("chalicelib.entrypoints.orders")
people = routes_of("chalicelib.entrypoints.people")
print(json.dumps([
    loaded is orders["/api/catalogue"]["GET"] and loaded is not stand_in,
    routes["/api/catalogue"]["GET"] is loaded and routes["/api/orders"]["POST"] is orders["/api/orders"]["POST"],
    routes["/api/people"]["GET"] is not people["/api/people"]["GET"],
    every_route(app.app)["/api/people"]["GET"] is people["/api/people"]["GET"],
]))
"""
    done = subprocess.run(  # noqa: S603 - this interpreter, a fixed probe
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout.splitlines()[-1]) == [True, True, True, True]


def test_an_area_serves_one_app():
    other = _declared_app()
    with pytest.raises(RuntimeError, match="serves another app"):
        every_route(app.app)  # the tests' app: every area loaded, each blueprint now serves it
        route(other, "/api/catalogue", "GET")


def test_each_function_is_declared_with_its_module_as_its_handler():
    declared = _declared_app()
    functions = {function.name: function.handler_string for function in declared.pure_lambda_functions}
    functions |= {source.name: source.handler_string for source in declared.event_sources}
    written = {
        function["name"]: f"{module}.{function['handler']}"
        for module in app.FUNCTIONS
        for function in functions_of(module)
    }
    assert functions == written
    assert set(written) >= {"request_decision", "deliver_outbox", "reconcile_orders", "process_booking_events"}
    schedules = {
        source.name: source.schedule_expression
        for source in declared.event_sources
        if isinstance(source, ScheduledEventConfig)
    }
    assert schedules == {"reconcile_orders": "rate(15 minutes)"}


def test_a_function_called_through_the_app_runs_its_module_function_as_lambda_would(monkeypatch):
    import chalicelib.entrypoints.booking_events as booking_events
    import chalicelib.entrypoints.operations as operations

    seen = []
    # Each module's handler, as Lambda would call it: with the event and context.
    monkeypatch.setattr(booking_events, "process_booking_events", lambda event, context: seen.append(event))
    monkeypatch.setattr(operations, "reconcile_orders", lambda event, context: seen.append(event))
    declared = _declared_app()
    declared.handler_map["process_booking_events"]({"Records": []}, None)
    scheduled = scheduled_event("reconcile", "123456789012", "eu-north-1")
    declared.handler_map["reconcile_orders"](scheduled, None)
    assert seen == [{"Records": []}, scheduled]


def test_a_module_that_holds_functions_and_routes_is_refused():
    with pytest.raises(TypeError, match="more than routes"):
        routes_of("chalicelib.entrypoints.auth")
