"""Service tests: each context's rules through its ports, over in-memory fakes. No AWS, no moto."""

from __future__ import annotations

import pytest

from tests.fakes.world import World


@pytest.fixture
def world() -> World:
    return World()
