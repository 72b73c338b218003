"""What people send the directory."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from chalicelib.shared.commands import Command, Text, plain_text
from chalicelib.shared.identity import Role
from chalicelib.shared.languages import Language


class SignIn(Command):
    username: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


def _address(text: str) -> str:
    return plain_text(text.strip())


# An address of the usual shape; whether it is someone's is for their invitation mail to find out. The pattern
# names its characters itself (no `\s`, which Python and JSON Schema read differently).
Email = Annotated[
    str,
    StringConstraints(max_length=254, pattern=r"^[^@\x00-\x20]+@[^@\x00-\x20.]+(\.[^@\x00-\x20.]+)+$"),
    AfterValidator(_address),
]
# A person's id as a path holds it: what `model.new_user_id` makes, and the demo's; nothing a URL must escape.
UserId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
# As typed ("070-123 45 67", "+47 412 34 567"): `model.mobile_number` reads it with phonenumbers.
Phone = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[0-9+()\-. ]+$")]
Roles = Annotated[list[Annotated[Role, Field(strict=False)]], Field(min_length=1, max_length=6)]


class AddPerson(Command):
    """An administrator adds a person to their organisation (R-ONB-3)."""

    name: Text
    email: Email
    roles: Roles
    phone: Phone = Field(description="the mobile number one-time codes are texted to")
    language: Annotated[Language, Field(strict=False)] = Language.SV


class EditPerson(Command):
    """What an administrator changes of a person; what is left out stays as it is."""

    name: Text | None = None
    email: Email | None = None
    roles: Roles | None = None
    phone: Phone | None = None
