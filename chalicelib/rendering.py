"""The Jinja2 environments pages and mails are rendered with: one per language, each with its gettext
catalogue installed (Jinja2's i18n extension) and the filters that write times and amounts in it."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from chalicelib.ordering.vocabulary import word
from chalicelib.shared.i18n import LANGUAGE_NAMES, Words, texts, translations
from chalicelib.shared.languages import LANGUAGES

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment(language: str) -> Environment:
    """Built on first use per language and kept for the life of the container."""
    written = texts(language)
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(written.language), newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(when=written.when, day=written.day, amount=written.amount)
    env.globals.update(
        language=written.language,
        languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        refusal=written.refusal,
        label=lambda kind, value, **params: labelled(written, kind, value, **params),
    )
    return env


def labelled(written: Words, kind: str, value: object, **params: Any) -> str:
    """An order's state, step or history action in the reader's words (`ordering/vocabulary.py`)."""
    return written.gettext(word(kind, value)).format(**params)


def render(language: str, template: str, **context: Any) -> str:
    return environment(language).get_template(template).render(**context)
