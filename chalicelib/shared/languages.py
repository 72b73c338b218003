"""The languages the product speaks: Swedish, English and Norwegian bokmål (the seeds' languages), Swedish
unless a person chooses another. Written once here; pages, mails, sessions and the catalogue use these."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field


class Language(StrEnum):
    SV = "sv"
    EN = "en"
    NB = "nb"


DEFAULT_LANGUAGE = Language.SV
# The same codes as a type, for the keys of texts kept in every language.
LanguageCode = Literal["sv", "en", "nb"]
LANGUAGES: tuple[LanguageCode, ...] = get_args(LanguageCode)
if set(LANGUAGES) != {language.value for language in Language}:
    raise RuntimeError("Language and LanguageCode must name the same languages")


def _in_every_language(texts: dict[LanguageCode, str]) -> dict[LanguageCode, str]:
    missing = [language for language in LANGUAGES if not texts.get(language, "").strip()]
    if missing:
        raise ValueError(f"needs a text in every language; missing: {', '.join(missing)}")
    return texts


# A text in every language: each key required (the document says so too), none blank.
Texts = Annotated[
    dict[LanguageCode, str],
    AfterValidator(_in_every_language),
    Field(json_schema_extra={"required": list(LANGUAGES)}),
]
