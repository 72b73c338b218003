"""The base of every pydantic model of the app: its validator deferred until first used."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """A pydantic model whose validator is built the first time it is used, not when its module is imported
    (`defer_build`): a module defines more models than one request uses, so a request pays only for those it
    validates with (docs/decisions.md, 2026-12-02). Subclasses' own `model_config` is merged with this one."""

    model_config = ConfigDict(defer_build=True)
