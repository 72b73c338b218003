"""The catalogue speaks Swedish, English and Norwegian bokmål, every text in each."""

from __future__ import annotations

from typing import get_args

import pytest
from pydantic import ValidationError

from chalicelib.ordering.model import Catalogue, DeclarationQuestion
from chalicelib.shared.languages import LANGUAGES, Language, LanguageCode
from local import demo

from .fixtures import CATALOGUE


def test_the_languages_are_swedish_english_and_norwegian_bokmal():
    assert LANGUAGES == ("sv", "en", "nb") == get_args(LanguageCode) == tuple(language.value for language in Language)


def test_every_offering_and_declaration_of_the_catalogue_has_a_text_in_every_language():
    catalogue = demo.catalogue()
    assert catalogue.version == 2 and catalogue.terms_version == 1
    for offering in catalogue.offerings:
        assert set(offering.description) == set(LANGUAGES), offering.offering_id
        for question in offering.declaration_questions:
            assert set(question.text) == set(LANGUAGES), question.question_id
    texts = [offering.description[language] for offering in catalogue.offerings for language in LANGUAGES]
    assert len(set(texts)) == len(texts)  # each language says it in its own words


@pytest.mark.parametrize(
    "text",
    [
        {"sv": "Vi lovar.", "en": "We promise."},
        {"sv": "Vi lovar.", "en": "We promise.", "nb": "  "},
        {"sv": "Vi lovar.", "en": "We promise.", "nb": "Vi lover.", "de": "Wir versprechen."},
    ],
)
def test_a_text_missing_a_language_or_in_another_is_refused(text: dict[str, str]):
    with pytest.raises(ValidationError):
        DeclarationQuestion.model_validate({"question_id": "q1", "text": text})


def test_the_catalogues_document_requires_every_language():
    schema = Catalogue.model_json_schema()
    assert schema["$defs"]["Offering"]["properties"]["description"]["required"] == list(LANGUAGES)
    assert CATALOGUE.offerings[0].declaration_questions[0].text["en"] == "We promise."
