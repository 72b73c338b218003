"""The portal and its mails speak Swedish, English and Norwegian bokmål: every text of the code and templates is
in the catalogue, every catalogue translates every text with the same placeholders, and each compiles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "chalicelib" / "locale"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")
TRANSLATED = ("sv", "nb")


def catalogue(language: str):
    with (LOCALE / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po)


def placeholders(text: str) -> set[str]:
    return {next(name for name in match.groups() if name) for match in PLACEHOLDER.finditer(text)}


def test_the_template_holds_every_text_of_the_code_and_templates(tmp_path):
    """`make messages` was run after the last text changed."""
    extracted = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "N_",
            "-k",
            "Reason:2",
            "--no-location",
            "-o",
            str(extracted),
            str(ROOT / "chalicelib"),
        ]
    )
    with extracted.open("rb") as pot:
        wanted = {message.id for message in read_po(pot) if message.id}
    with (LOCALE / "messages.pot").open("rb") as pot:
        kept = {message.id for message in read_po(pot) if message.id}
    assert wanted - kept == set(), "new texts: run `make messages` and translate them"
    assert kept - wanted == set(), "texts no longer used: run `make messages`"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_text_is_translated_with_its_placeholders(language):
    with (LOCALE / "messages.pot").open("rb") as pot:
        wanted = {message.id for message in read_po(pot) if message.id}
    translations = {message.id: message for message in catalogue(language) if message.id}
    assert wanted <= set(translations), sorted(wanted - set(translations))[:10]
    for message_id in wanted:
        message = translations[message_id]
        assert message.string and not message.fuzzy, (language, message_id)
        translated = str(message.string)
        assert placeholders(translated) == placeholders(str(message_id)), (language, message_id, translated)


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_catalogue_compiles(language, tmp_path):
    with (tmp_path / "messages.mo").open("wb") as compiled:
        write_mo(compiled, catalogue(language))
    assert (tmp_path / "messages.mo").stat().st_size > 1000
