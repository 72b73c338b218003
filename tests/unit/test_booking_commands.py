"""A client's e-mail address and identity number mean the same to the API as to its published schema
(chalicelib/bookings/commands.py): the characters where pydantic's, Python's and JSON Schema's regular
expressions disagree are refused by all of them."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from chalicelib.bookings.commands import EmailAddress, IdentityNumberText

# Whitespace to Python's `\s` only (U+001C..U+001F), to Python's and Unicode's (U+0085), to ECMA-262's only
# (U+FEFF), and to all three (U+00A0); and a control character none of them calls whitespace.
DISAGREED = ["\x1c", "\x1f", "\x85", "\ufeff", "\xa0", "\x08"]


@pytest.mark.parametrize("character", DISAGREED, ids=[f"U+{ord(c):04X}" for c in DISAGREED])
def test_no_address_has_a_character_the_regex_dialects_disagree_on(character: str):
    addresses = TypeAdapter(EmailAddress)
    assert addresses.validate_python("kari.nordmann@example.no") == "kari.nordmann@example.no"
    for address in (f"kari{character}@example.no", f"kari@exam{character}ple.no", f"kari@example.n{character}o"):
        with pytest.raises(ValidationError):
            addresses.validate_python(address)


def test_an_identity_number_is_ascii_digits():
    numbers = TypeAdapter(IdentityNumberText)
    assert numbers.validate_python("151086 95088") == "151086 95088"
    with pytest.raises(ValidationError):
        numbers.validate_python("١٥١٠٨٦٩٥٠٨٨")  # Arabic-Indic digits: `\d` to Python, not to JSON Schema
