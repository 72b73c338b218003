"""The languages the catalogue speaks: Swedish, English and Norwegian bokmål (the seeds' languages)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

Language = Literal["sv", "en", "nb"]
LANGUAGES: tuple[Language, ...] = ("sv", "en", "nb")


def _in_every_language(texts: dict[Language, str]) -> dict[Language, str]:
    missing = [language for language in LANGUAGES if not texts.get(language, "").strip()]
    if missing:
        raise ValueError(f"needs a text in every language; missing: {', '.join(missing)}")
    return texts


# A text in every language: each key required (the document says so too), none blank.
Texts = Annotated[
    dict[Language, str],
    AfterValidator(_in_every_language),
    Field(json_schema_extra={"required": list(LANGUAGES)}),
]
