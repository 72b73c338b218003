"""What every command is made of: strict models and the shapes of the fields people fill in."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints

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
    return plain_text(text)


def _lines(text: str) -> str:
    return plain_text(text, multiline=True)


def _a_boolean(value: Any) -> Any:
    # Literal[True] would take 1 (1 == True); a tick is true or false, nothing else.
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_one_line)]
LongText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), AfterValidator(_lines)
]
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._@-]{1,100}$")]
Ticked = Annotated[Literal[True], BeforeValidator(_a_boolean)]


class Command(BaseModel):
    """A request body: unknown fields are refused, text is trimmed, and no type is guessed at (a count is a
    number, not "1"; a tick is true, not 1)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)
