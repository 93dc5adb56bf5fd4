"""The product's own words, in gettext catalogs, and the one rule that chooses a locale.

English is written in the code (the msgids); `translations/<locale>/LC_MESSAGES/messages.po` hold the
other locales (docs/translating.md). Survey content is not here: it is survey data, in its definition.
Pages get their words through Flask-Babel (`_()` in templates, `extensions.page_locale` choosing); code that
speaks to one person in their locale outside a page (SMS, the widget's words) asks `translations()`.
SMS words carry the context "sms" (`pgettext("sms", ...)`): each stays one segment (tests/test_translations.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol, cast

from babel.support import NullTranslations, Translations

TRANSLATIONS = Path(__file__).parent / "translations"
# English first: the default when nothing else fits.
LOCALES = ("en", *sorted(p.parent.parent.name for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.mo")))


def choose_locale(offered: Sequence[str], *candidates: str | None) -> str:
    """Return the first candidate that is offered, as written or by its language alone, else offered[0].

    The one rule for every choice of locale: "ms-MY" takes "ms-MY" if offered, else "ms"; case is
    ignored; empty candidates are passed over. The product's words are offered in LOCALES, a survey's
    content in `rules.survey.survey_locales(definition)` (its default first).
    """
    by_folded = {locale.casefold(): locale for locale in offered}
    for candidate in candidates:
        if not candidate:
            continue
        folded = candidate.casefold()
        match = by_folded.get(folded) or by_folded.get(folded.split("-")[0])
        if match:
            return match
    return offered[0]


class Words(Protocol):
    """A locale's catalog, as the code uses it (Babel types pgettext as `str | object`, after a
    sentinel of its own that never comes back from it: a missing message returns its msgid)."""

    def gettext(self, message: str) -> str: ...

    def pgettext(self, context: str, message: str) -> str: ...


@lru_cache
def _catalog(locale: str) -> NullTranslations:
    return Translations.load(TRANSLATIONS, [locale]) if locale != "en" else NullTranslations()


def translations(locale: str | None) -> Words:
    """Return the product's words for `locale` (chosen among LOCALES): `.gettext()`, `.pgettext()`."""
    return cast(Words, _catalog(choose_locale(LOCALES, locale)))
