"""The API's areas and the app's other functions, declared from the route table when app.py is imported; a
module is imported when what it declares is first called.

Chalice wants every route and function declared at import. Declaring them by importing every module made each
cold start of the API pay for every capability's models and services, although a first request uses one area.
The table (`routes.json`, written by `make routes` from the modules themselves and held to them by a test)
declares them without that:
- Each route's view is a stand-in. On its area's first request it imports the module, registers the module's
  blueprint on a scratch app to get its routes, puts each in its stand-in's place in the app and runs it. From
  then on the app calls the area's views directly.
- Each other function (the workflow's tasks, the outbox, the schedule, the booking events) is declared with the
  handler of its module, as Chalice would: deployed, Lambda imports that module itself and never app.py. Run
  from the app (the local product), the stand-in imports the module and calls its function.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from threading import Lock
from typing import Any
from weakref import WeakKeyDictionary

from chalice.app import Blueprint, Chalice, ChaliceAuthorizer, RouteEntry, ScheduledEventConfig

ROUTE_TABLE = Path(__file__).with_name("routes.json")

_declared: WeakKeyDictionary[Chalice, Areas] = WeakKeyDictionary()


def blueprint_of(module_name: str) -> Blueprint:
    """An area's blueprint: the module's variable named as the module is (`entrypoints/orders.py`: `orders`)."""
    module = importlib.import_module(module_name)
    blueprint = getattr(module, module_name.rpartition(".")[2], None)
    if not isinstance(blueprint, Blueprint):
        raise TypeError(f"{module_name} has no blueprint named as the module")
    return blueprint


def _registered(module_name: str) -> Chalice:
    """A scratch app with the module's blueprint registered: what Chalice makes of its declarations."""
    scratch = Chalice(app_name="scratch", configure_logs=False)
    blueprint = blueprint_of(module_name)
    scratch.register_blueprint(blueprint)
    blueprint._current_app = None  # the scratch app serves nothing: the app that loads an area sets its own
    return scratch


@cache  # Chalice registers a blueprint once: registering reads its routes' options by taking them out
def routes_of(module_name: str) -> dict[str, dict[str, RouteEntry]]:
    """The routes an area's module declares, as Chalice registers them (on a scratch app)."""
    scratch = _registered(module_name)
    if (
        scratch.pure_lambda_functions
        or scratch.event_sources
        or scratch.builtin_auth_handlers
        or scratch.middleware_handlers
    ):
        raise TypeError(f"{module_name} holds more than routes: an area holds routes, app.py's FUNCTIONS the rest")
    return scratch.routes


def functions_of(module_name: str) -> list[dict[str, Any]]:
    """The functions a module declares besides routes (Lambda functions, schedules), in the table's shape."""
    scratch = _registered(module_name)
    if scratch.routes or scratch.builtin_auth_handlers or scratch.middleware_handlers:
        raise TypeError(f"{module_name} holds more than functions: make it an area")
    found: list[dict[str, Any]] = []
    for function in scratch.pure_lambda_functions:
        found.append({"name": function.name, "handler": function.handler_string.rpartition(".")[2]})
    for source in scratch.event_sources:
        if not isinstance(source, ScheduledEventConfig) or source.description:
            raise TypeError(f"{module_name}: the route table carries schedules only, without descriptions")
        expression = source.schedule_expression
        found.append(
            {
                "name": source.name,
                "handler": source.handler_string.rpartition(".")[2],
                "schedule": expression if isinstance(expression, str) else expression.to_string(),
            }
        )
    return found


def table(areas: Iterable[str], functions: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """The route table: what `make routes` writes and the app declares its routes and functions from."""
    return {
        "areas": _areas_table(areas),
        "functions": [{"module": name, "functions": functions_of(name)} for name in functions],
    }


def _areas_table(areas: Iterable[str]) -> list[dict[str, Any]]:
    found = []
    for module_name in areas:
        routes = []
        for path, methods in routes_of(module_name).items():
            for method, entry in methods.items():
                if entry.api_key_required or entry.cors:
                    raise ValueError(f"{method} {path}: the route table carries no API keys or CORS")
                routes.append(
                    {
                        "path": path,
                        "method": method,
                        "view": entry.view_name,
                        "doc": inspect.getdoc(entry.view_function),
                        "authorizer": entry.authorizer.name if entry.authorizer else None,
                        "content_types": entry.content_types,
                    }
                )
        found.append({"module": module_name, "routes": routes})
    return found


class Areas:
    """The areas of one app: which are loaded, and loading one."""

    def __init__(self, app: Chalice, areas: tuple[str, ...]) -> None:
        self._app = app
        self.areas = areas
        self._loaded: set[str] = set()
        self._lock = Lock()
        self.area_of: dict[tuple[str, str], str] = {}

    def load(self, module_name: str) -> None:
        """Imports the area and puts its routes in place of their stand-ins (once, whoever asks first)."""
        if module_name in self._loaded:
            return
        with self._lock:
            if module_name in self._loaded:
                return
            routes = routes_of(module_name)
            blueprint = blueprint_of(module_name)
            if blueprint._current_app not in (None, self._app):
                raise RuntimeError(f"{module_name} serves another app: a blueprint serves one")
            # What Blueprint.register sets: the area's current_request and lambda_context are the app's.
            blueprint._current_app = self._app
            for path, methods in routes.items():
                self._app.routes[path].update(methods)  # each entry replaced in place: no request misses it
            self._loaded.add(module_name)

    def stand_in(self, module_name: str, route: dict[str, Any]) -> Callable[..., Any]:
        path, method = route["path"], route["method"]

        def view(**parameters: str) -> Any:
            self.load(module_name)
            real = self._app.routes[path][method].view_function
            if real is view:
                raise LookupError(f"{method} {path} is in the route table but not in {module_name}: run make routes")
            return real(**parameters)

        view.__name__ = route["view"]
        view.__doc__ = route["doc"]
        return view


def declare(
    app: Chalice, areas: tuple[str, ...], functions: tuple[str, ...], authorizers: Iterable[ChaliceAuthorizer]
) -> None:
    """Declares the areas' routes and the functions on the app from the route table. A module the table does not
    hold yet is registered as it is, imported now (a test says the table needs `make routes`)."""
    written = json.loads(ROUTE_TABLE.read_text())
    declared = _declared[app] = Areas(app, areas)
    by_name = {authorizer.name: authorizer for authorizer in authorizers}
    routes = {area["module"]: area["routes"] for area in written["areas"]}
    for module_name in areas:
        if module_name not in routes:
            declared.load(module_name)
            continue
        for route in routes[module_name]:
            declared.area_of[route["path"], route["method"]] = module_name
            app.route(
                route["path"],
                methods=[route["method"]],
                name=route["view"],
                authorizer=by_name[route["authorizer"]] if route["authorizer"] else None,
                content_types=route["content_types"],
            )(declared.stand_in(module_name, route))
    held = {module["module"]: module["functions"] for module in written["functions"]}
    for module_name in functions:
        if module_name not in held:
            app.register_blueprint(blueprint_of(module_name))
            continue
        stand_ins = Blueprint(module_name)  # so each handler is the module's own, as deployed
        for function in held[module_name]:
            view = _function_stand_in(module_name, function["handler"], "schedule" in function)
            if "schedule" in function:
                stand_ins.schedule(function["schedule"], name=function["name"])(view)
            else:
                stand_ins.lambda_function(name=function["name"])(view)
        app.register_blueprint(stand_ins)


def _function_stand_in(module_name: str, handler: str, scheduled: bool) -> Callable[..., Any]:
    """Calls the module's function as Lambda does, with the event and context it was given. Chalice hands this
    stand-in a schedule's event as one object and a Lambda function's as the event and context."""

    def run(*arguments: Any) -> Any:
        function = getattr(importlib.import_module(module_name), handler)
        if scheduled:
            (event,) = arguments
            return function(event.to_dict(), event.context)
        return function(*arguments)

    run.__name__ = handler
    return run


def every_route(app: Chalice) -> dict[str, dict[str, RouteEntry]]:
    """The app's routes with every area loaded: what the API document is made from."""
    declared = _declared.get(app)
    if declared is not None:
        for module_name in declared.areas:
            declared.load(module_name)
    return app.routes


def route(app: Chalice, path: str, method: str) -> RouteEntry:
    """A route as its first request finds it: with its area loaded."""
    declared = _declared.get(app)
    if declared and (path, method) in declared.area_of:
        declared.load(declared.area_of[path, method])
    return app.routes[path][method]
