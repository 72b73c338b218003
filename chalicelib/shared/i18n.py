"""Languages: which the product speaks, how a reader's is chosen, and how texts, times and amounts are written
in it (Babel's gettext catalogues, dates and numbers). Swedish first; Norwegian bokmål for the bookings and
requisition pages; English for everyone else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.core import Locale, negotiate_locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from babel.support import NullTranslations, Translations

from chalicelib.shared.errors import Reason
from chalicelib.shared.languages import DEFAULT_LANGUAGE, LANGUAGES

# Every time a person reads is Swedish time, with its zone named (CET or CEST).
TIME_ZONE = ZoneInfo("Europe/Stockholm")
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"

_LOCALES = {"sv": "sv_SE", "en": "en_GB", "nb": "nb_NO"}
# The name of each language in itself, for the language switch.
LANGUAGE_NAMES = {"sv": "Svenska", "en": "English", "nb": "Norsk bokmål"}


def N_(message: str) -> str:
    """Marks a text for the catalogue without translating it where it is written."""
    return message


def supported(language: str | None) -> str | None:
    return str(language) if language in LANGUAGES else None


def negotiate(accept_language: str | None) -> str:
    """The reader's language from a browser's Accept-Language, best first by its weights; Swedish otherwise.
    A browser's "no" (Norwegian) is read as bokmål."""
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, parameters = part.strip().partition(";")
        weight = 1.0
        if parameters.strip().startswith("q="):
            try:
                weight = float(parameters.strip()[2:])
            except ValueError:
                weight = 0.0
        if tag:
            wanted.append((-weight, position, tag.strip().replace("_", "-").lower()))
    preferred = []
    for _, _, tag in sorted(wanted):
        primary = tag.split("-")[0]
        preferred += [tag, {"no": "nb", "nn": "nb"}.get(primary, primary)]
    return negotiate_locale(preferred, list(LANGUAGES), sep="-") or DEFAULT_LANGUAGE.value


@cache
def translations(language: str) -> NullTranslations:
    """The compiled catalogue of a language (`make translations`); English is the source, needing none."""
    if language == "en":
        return NullTranslations()
    found = Translations.load(str(LOCALE_DIR), [_LOCALES[language], language], domain=DOMAIN)
    if not isinstance(found, Translations):
        raise FileNotFoundError(f"no compiled catalogue for {language} in {LOCALE_DIR}: run `make translations`")
    return found


@dataclass(frozen=True)
class Words:
    """One language's texts, times and amounts."""

    language: str

    @property
    def locale(self) -> Locale:
        return Locale.parse(_LOCALES[self.language])

    def gettext(self, message: str) -> str:
        return translations(self.language).gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return translations(self.language).ngettext(singular, plural, count)

    def refusal(self, reason: Reason, params: dict[str, Any] | None = None) -> str:
        """A refusal in this language: its English text is the message id, its parameters filled in after."""
        return self.gettext(reason.text).format(**(params or {}))

    def when(self, moment: datetime | str | None) -> str:
        """A moment as people read it here, in Swedish time with the zone named: "1 dec. 2026 19:15 CET"."""
        if moment is None:
            return ""
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        return format_datetime(moment, "d MMM y HH:mm zzz", tzinfo=TIME_ZONE, locale=self.locale)

    def day(self, moment: datetime | str) -> str:
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        return format_date(moment.astimezone(TIME_ZONE), "long", locale=self.locale)

    def amount(self, kronor: int) -> str:
        """Whole Swedish kronor as the locale writes them: "16 500 kr", "SEK 16,500", "16 500 SEK"."""
        pattern = "¤\xa0#,##0" if self.language == "en" else "#,##0\xa0¤"
        return format_currency(kronor, "SEK", format=pattern, locale=self.locale, currency_digits=False)


def texts(language: str) -> Words:
    return Words(supported(language) or DEFAULT_LANGUAGE.value)
