"""What every command is made of: strict models and the shapes of the fields people fill in."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, StringConstraints
from pydantic_core import PydanticCustomError

from chalicelib.shared.deferred import Model

# Control characters, invisible formatting (zero-width, bidi overrides), surrogates, private use, and line or
# paragraph separators: nothing a person types into a name or a reason, and each can disguise text in mails
# and pages (a right-to-left override turns "gpj.exe" into "exe.jpg").
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})


def plain_text(text: str, *, multiline: bool = False) -> str:
    """NFC-normalised text; refuses what REFUSED_CATEGORIES names (multi-line text keeps its line breaks)."""
    text = unicodedata.normalize("NFC", text)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    for position, character in enumerate(text, start=1):
        if multiline and character == "\n":
            continue
        if unicodedata.category(character) in REFUSED_CATEGORIES:
            raise ValueError(
                f"must not contain control or invisible formatting characters (U+{ord(character):04X} at "
                f"position {position})"
            )
    return text


def _one_line(text: str) -> str:
    return _not_blank(plain_text(text.strip()))


def _lines(text: str) -> str:
    return _not_blank(plain_text(text.strip(), multiline=True))


def _not_blank(text: str) -> str:
    if not text:
        raise ValueError("must not be blank")
    return text


def _a_boolean(value: Any) -> Any:
    # Literal[True] would take 1 (1 == True); a tick is true or false, nothing else. A type error, as pydantic's
    # own: the document says `true`.
    if not isinstance(value, bool):
        raise PydanticCustomError("bool_type", "must be true or false")
    return value


def _a_whole_number(value: Any) -> Any:
    # JSON has numbers, not integers: 2.0 is the number 2 (and an integer to JSON Schema). "2" and true are not.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("int_type", "must be a whole number")
    return value


# Text is trimmed and NFC-normalised; the lengths are of what is sent, as the document states them. What a
# document cannot state (blank, control characters) is refused by a rule: `ValueError`, a 422 naming the field.
Text = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_one_line)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=2000), AfterValidator(_lines)]
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._@-]{1,100}$")]
Ticked = Annotated[Literal[True], BeforeValidator(_a_boolean)]
WholeNumber = Annotated[int, BeforeValidator(_a_whole_number)]
# A whole number with bounds: the bounds go before it, so that the document states them (minimum, maximum):
# `Annotated[int, Field(ge=1, le=9), WHOLE]`.
WHOLE = BeforeValidator(_a_whole_number)


class Command(Model):
    """A request body: unknown fields are refused, and no type is guessed at (a count is a number, not "1"; a
    tick is true, not 1)."""

    model_config = ConfigDict(extra="forbid", strict=True)
