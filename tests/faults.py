"""Injected failures shared by the tests: a call that dies the first time, as a process would mid-request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def crash_once(monkeypatch: pytest.MonkeyPatch, target: Any, name: str) -> list[int]:
    """Makes `target.name` raise on its first call only; returns the list its calls are counted in."""
    calls: list[int] = []
    original: Callable[..., Any] = getattr(target, name)

    def crashing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("the process died here")
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, crashing)
    return calls
