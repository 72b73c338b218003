"""An e-mail field's lengths are of what is sent, as the published document states them; the trim comes after,
so an address that is too short once trimmed is refused by the address rule (422), not as the wrong shape (400)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.entrypoints.http import status_of
from chalicelib.onboarding.commands import ContactInput


def test_an_address_too_short_once_trimmed_is_refused_by_the_rule():
    # Three characters as sent (the document's minLength), one once Python trims the two whitespace characters.
    with pytest.raises(ValidationError) as refused:
        ContactInput.model_validate({"name": "Nora Ny", "email": "Y\x1c\t"})
    assert [problem["loc"] for problem in refused.value.errors()] == [("email",)]
    assert refused.value.errors()[0]["type"] == "value_error"
    assert status_of(refused.value) == 422


def test_an_address_is_kept_trimmed():
    assert ContactInput.model_validate({"name": "Nora Ny", "email": "  nora@example.se \t"}).email == "nora@example.se"


def test_an_address_shorter_than_the_document_allows_is_the_wrong_shape():
    with pytest.raises(ValidationError) as refused:
        ContactInput.model_validate({"name": "Nora Ny", "email": "a@"})
    assert status_of(refused.value) == 400
