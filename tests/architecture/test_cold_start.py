"""A cold start builds only what a request uses: importing the app builds no pydantic validator
(chalicelib/shared/deferred.py; the cold-start figure is `make bench` section 1). The settings are the one
model every request reads, so they are left as pydantic-settings builds them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pydantic import BaseModel
from pydantic_settings import BaseSettings

import app  # noqa: F401 - every model of the app defined
from chalicelib.shared.deferred import Model

ROOT = Path(__file__).resolve().parents[2]


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
import json
import app
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
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed probe
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["models"] > 50
    assert figures["built"] == []
    assert figures["order_built"] is True
