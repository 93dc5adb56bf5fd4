"""The product's words in gettext catalogs: complete, not stale, and SMS words one segment each."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from channels.sms import count_segments
from surveyhub.i18n import LOCALES, TRANSLATIONS, choose_locale, translations
from surveyhub.rules.sms import question_prompt, read_reply

ROOT = Path(__file__).parent.parent
TRANSLATED = [locale for locale in LOCALES if locale != "en"]
PLACEHOLDER = re.compile(r"\{(\w*)\}")
# What SMS placeholders stand for at their widest: an org name of 30 characters, two-digit numbers, the
# NPS labels of the same locale (a Likert's own labels are survey data, not ours).
SMS_VALUES = {"org": "O" * 30, "n": "10", "low": "10", "high": "10"}


def _key(message) -> tuple[str | None, str]:
    """A message's context and id (a plural message's singular: .po and .mo files hold its forms apart)."""
    return message.context, _forms(message.id)[0]


def _extracted() -> set[tuple[str | None, str]]:
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _, _, message, _, context in extract_from_dir(ROOT, method_map, options_map):
        found.add((context, _forms(message)[0]))
    return found


def _catalog(locale: str):
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=locale)


def _messages(catalog) -> dict:
    return {_key(m): m for m in catalog if m.id}


def test_the_template_holds_every_word_the_code_uses_and_no_other():
    """messages.pot is what `scripts/translations` extracts from the code today (no word added or left over)."""
    with (TRANSLATIONS / "messages.pot").open("rb") as pot:
        template = set(_messages(read_po(pot)))
    extracted = _extracted()
    assert len(extracted) > 50
    assert sorted(extracted - template, key=str) == [], "not in messages.pot: run scripts/translations"
    assert sorted(template - extracted, key=str) == [], "no longer in the code: run scripts/translations"


def _forms(text: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """A message's text, or each of a plural message's forms."""
    return (text,) if isinstance(text, str) else tuple(text)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_word_is_translated_and_compiled(locale):
    """Each locale's catalog has every word of the template, none empty or fuzzy, placeholders kept."""
    with (TRANSLATIONS / "messages.pot").open("rb") as pot:
        template = set(_messages(read_po(pot)))
    messages = _messages(_catalog(locale))
    assert sorted(template - set(messages), key=str) == [], f"missing from {locale}: run scripts/translations"
    assert sorted(set(messages) - template, key=str) == [], f"obsolete in {locale}: run scripts/translations"
    assert [m.id for m in messages.values() if not m.string] == [], f"untranslated in {locale}"
    assert [m.id for m in messages.values() if m.fuzzy] == [], f"fuzzy in {locale}: check, then clear the flag"
    assert [m.id for m in messages.values() if not all(_forms(m.string))] == [], f"a plural form empty in {locale}"
    placeholders = lambda text: sorted(PLACEHOLDER.findall(text))  # noqa: E731
    assert [m.id for m in messages.values()
            if any(placeholders(_forms(m.id)[-1]) != placeholders(form) for form in _forms(m.string))] == []
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").open("rb") as mo:
        compiled = {_key(m): tuple(_forms(m.string)) for m in read_mo(mo) if m.id}
    assert compiled == {key: tuple(_forms(m.string)) for key, m in messages.items()}, \
        "messages.mo is stale: run scripts/translations"


def test_every_locale_has_its_catalog():
    assert set(LOCALES) == {"en", "ms", "id", "zh"}
    assert translations("ms-MY").gettext("Next") == "Seterusnya"
    assert translations("zh-Hans").pgettext("sms", "Reply YES or NO.") == "请回复“是”或“否”。"
    assert translations("fr").gettext("Next") == "Next" and translations(None).gettext("Next") == "Next"


@pytest.mark.parametrize("locale", LOCALES)
def test_each_sms_word_is_one_segment(locale):
    """SMS words (context "sms") stay GSM-7 in en/ms/id, and one segment (160 GSM-7, 70 UCS-2) filled in."""
    sms = sorted(message for context, message in _extracted() if context == "sms")
    assert len(sms) >= 15
    words = translations(locale)
    values = {**SMS_VALUES, "low_label": words.pgettext("sms", "Not at all likely"),
              "high_label": words.pgettext("sms", "Extremely likely"), "skip": words.pgettext("sms", "SKIP")}
    for message in sms:
        text = words.pgettext("sms", message)
        segments = count_segments(text.format(**values))
        if locale == "zh":
            assert segments.encoding == "UCS-2" and segments.segments == 1, (message, text)
        else:
            assert (segments.encoding, segments.non_gsm) == ("GSM-7", ""), (message, text)
            assert segments.segments == 1, (message, text)


@pytest.mark.parametrize(("offered", "candidates", "chosen"), [
    (("en", "ms"), ("ms-MY",), "ms"), (("en", "ms-MY"), ("ms-MY",), "ms-MY"), (("en", "ms"), ("MS",), "ms"),
    (("en", "ms"), (None, "", "fr", "ms"), "ms"), (("en", "ms"), ("fr",), "en"), (("zh", "en"), (), "zh"),
])
def test_one_rule_chooses_every_locale(offered, candidates, chosen):
    """The first candidate offered as written, else by its language; else the first offered."""
    assert choose_locale(offered, *candidates) == chosen


@pytest.mark.parametrize("locale", LOCALES)
def test_the_skip_word_a_prompt_names_skips(locale):
    """Whatever a translator makes of SKIP, the word the SMS prompt tells people to send is the one read."""
    prompt = question_prompt({"id": "why", "type": "open", "text": "Why?"}, locale, "en")
    word = translations(locale).pgettext("sms", "SKIP")
    assert word in prompt.splitlines()[-1]
    assert read_reply({"id": "why", "type": "open", "text": "Why?"}, word.lower(), locale, "en").kind == "skip"
