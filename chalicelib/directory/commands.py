"""What people send the directory."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from chalicelib.shared.commands import Command


class SignIn(Command):
    username: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]
