"""A cold start builds only what a request uses: importing the app imports no area's or function's module
(chalicelib/entrypoints/routing.py), a first request imports its own area, and no pydantic validator is built
before a model is used (chalicelib/shared/deferred.py). The cold-start figure is `make bench` section 1. The
settings are the one model every request reads, so they are left as pydantic-settings builds them."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_settings import BaseSettings

import app
from chalicelib.entrypoints.routing import every_route
from chalicelib.shared.deferred import Model

ROOT = Path(__file__).resolve().parents[2]
CONTEXTS = (
    "approvals",
    "bookings",
    "directory",
    "notifications",
    "onboarding",
    "ordering",
    "requisitioners",
    "signing",
)

# Every model of the app defined: every area and function module imported.
every_route(app.app)
for module in app.FUNCTIONS:
    importlib.import_module(module)


def _probe(code: str) -> Any:
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed probe
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


IMPORTED = "import json, sys; print(json.dumps(sorted(name for name in sys.modules if name.startswith('chalicelib'))))"


def test_importing_the_app_imports_no_area_function_or_capability():
    imported = set(_probe(f"import app; {IMPORTED}"))
    assert "chalicelib.entrypoints.routing" in imported
    assert imported.isdisjoint(app.AREAS + app.FUNCTIONS)
    assert not [name for name in imported if name.partition(".")[2].partition(".")[0] in CONTEXTS]
    assert not [name for name in imported if name.startswith("chalicelib.adapters")]


def test_a_first_request_imports_its_own_area_and_the_capabilities_it_uses():
    first = "from chalicelib.entrypoints.routing import route; route(app.app, '/api/orders', 'POST')"
    probe = f"import app; {first}; {IMPORTED}"
    imported = set(_probe(probe))
    assert "chalicelib.entrypoints.orders" in imported
    assert {area for area in app.AREAS if area in imported} == {"chalicelib.entrypoints.orders"}
    assert "chalicelib.ordering.commands" in imported
    assert not [name for name in imported if name.startswith(("chalicelib.bookings", "chalicelib.onboarding"))]


def _models() -> list[type[BaseModel]]:
    found, todo = [], [BaseModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("chalicelib.") and not issubclass(sub, BaseSettings):
                found.append(sub)
    return found


def test_every_model_of_the_app_defers_building_its_validator():
    models = _models()
    assert len(models) > 50
    assert [m.__qualname__ for m in models if not issubclass(m, Model)] == []
    assert [m.__qualname__ for m in models if not m.model_config.get("defer_build")] == []


def test_importing_the_app_builds_no_validator_until_a_model_is_used():
    probe = """
import importlib, json
import app
from chalicelib.entrypoints.routing import every_route
every_route(app.app)
for module in app.FUNCTIONS:
    importlib.import_module(module)
from pydantic import BaseModel
from pydantic_settings import BaseSettings
from chalicelib.ordering.model import Order
found, todo = [], [BaseModel]
while todo:
    for sub in todo.pop().__subclasses__():
        todo.append(sub)
        if sub.__module__.startswith("chalicelib.") and not issubclass(sub, BaseSettings):
            found.append(sub)
built = [m.__qualname__ for m in found if m.__pydantic_complete__]
Order.model_json_schema()
print(json.dumps({"models": len(found), "built": built, "order_built": Order.__pydantic_complete__}))
"""
    figures = _probe(probe)
    assert figures["models"] > 50
    assert figures["built"] == []
    assert figures["order_built"] is True
