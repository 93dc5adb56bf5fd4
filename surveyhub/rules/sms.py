"""Pure rules of the SMS conversation: keywords, reading replies, and every message's text.

Quiet hours are in rules/hours.py. Nothing here touches the database or Flask; answers are checked
afterwards by rules/survey.py like any channel's, so "9" by SMS means what 9 means on the widget.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..i18n import LOCALES, translations
from . import survey as logic

# Whole-message keywords, any case (the carriers' and Twilio's standard set).
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "REVOKE", "OPTOUT"})
START_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP"})
# Twilio's Advanced Opt-Out names the class of keyword it matched (its own lists may be longer).
OPT_OUT_TYPES = {"STOP": "stop", "START": "start", "HELP": "help"}

YES_WORDS = frozenset({"yes", "y", "yeah", "yep", "yup", "sure", "ya", "ye", "iya", "yoi", "boleh",
                       "是", "是的", "对", "對", "好", "会", "會", "要"})
NO_WORDS = frozenset({"no", "n", "nope", "nah", "tidak", "tak", "tdk", "x", "bukan", "nggak", "gak", "enggak",
                      "ndak", "否", "不", "不是", "没有", "沒有", "不会", "不會", "不要"})

_NUMBER = re.compile(r"^(\d{1,2})\s*(?:/\s*(\d{1,2}))?\s*[!.]*$")
_CHOICE_WITH_TEXT = re.compile(r"^(\d{1,2})\s*[:.)\-]?\s+(.+)$", re.S)
_TRAILING = " \t\r\n.!?。！？"


@cache
def skip_words() -> frozenset[str]:
    """The words that skip a question, in every locale: the catalogs' SKIP, so a prompt's word always works."""
    return frozenset({"skip", "跳過", *(translations(locale).pgettext("sms", "SKIP").casefold() for locale in LOCALES)})


def normalize(text: str) -> str:
    """Fold full-width digits and punctuation (common on Chinese keyboards) and trim the ends."""
    return unicodedata.normalize("NFKC", text).strip()


def keyword(body: str, opt_out_type: str | None = None) -> str | None:
    """Return "stop", "start" or "help" when the whole message is such a keyword, else None."""
    if opt_out_type and opt_out_type.upper() in OPT_OUT_TYPES:
        return OPT_OUT_TYPES[opt_out_type.upper()]
    word = normalize(body).strip(_TRAILING).upper()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    if word in HELP_WORDS:
        return "help"
    return None


@dataclass(frozen=True)
class Reply:
    """How a reply reads for the question asked: an answer (value, other_text), a skip, or neither."""

    kind: str  # "answer", "skip" or "invalid"
    value: Any = None
    other_text: str | None = None


INVALID = Reply("invalid")


def read_reply(question: dict, body: str, locale: str, default_locale: str) -> Reply:
    """Read an SMS reply as an answer to `question`; the result still goes through validate_answer."""
    text = normalize(body)
    if not text:
        return INVALID
    if text.strip(_TRAILING).casefold() in skip_words():
        return Reply("skip")
    kind = question["type"]
    if kind == "open":
        return Reply("answer", text)
    if kind == "yes_no":
        word = text.strip(_TRAILING).casefold()
        if word in YES_WORDS:
            return Reply("answer", True)
        if word in NO_WORDS:
            return Reply("answer", False)
        return INVALID
    if kind in ("nps", "likert"):
        top = 10 if kind == "nps" else question.get("scale", 5)
        match = _NUMBER.match(text)
        if not match or (match.group(2) and int(match.group(2)) != top):
            return INVALID
        return Reply("answer", int(match.group(1)))
    return _read_choice(question, text, locale, default_locale)


def _read_choice(question: dict, text: str, locale: str, default_locale: str) -> Reply:
    choices = [c["id"] for c in question["choices"]]
    labels = {logic.localize(c["label"], locale, default_locale).casefold(): c["id"] for c in question["choices"]}
    labels.update({c.casefold(): c for c in choices})
    allow_other = question.get("allow_other", False)
    other_number = len(choices) + 1
    other_label = translations(locale).pgettext("sms", "Other").casefold()
    selected: list[str] = []
    other_text = None
    for token in (part.strip() for part in re.split(r"[,;、，]", text)):
        if not token:
            continue
        with_text = _CHOICE_WITH_TEXT.match(token)
        folded = token.strip(_TRAILING).casefold()
        if token.isdecimal() and 1 <= int(token) <= len(choices):
            selected.append(choices[int(token) - 1])
        elif folded in labels:
            selected.append(labels[folded])
        elif allow_other and with_text and int(with_text.group(1)) == other_number:
            selected.append(logic.OTHER)
            other_text = with_text.group(2).strip()
        elif allow_other and folded.startswith(other_label) and folded[len(other_label):].strip(" :-"):
            selected.append(logic.OTHER)
            other_text = token[len(other_label):].strip(" :-")
        else:
            # Several numbers separated by spaces ("1 3") on a multiple-selection question.
            numbers = token.split()
            if question.get("multiple") and all(n.isdecimal() and 1 <= int(n) <= len(choices) for n in numbers):
                selected += [choices[int(n) - 1] for n in numbers]
                continue
            return INVALID
    if not selected or len(set(selected)) != len(selected):
        return INVALID
    if question.get("multiple"):
        return Reply("answer", selected, other_text)
    return Reply("answer", selected[0], other_text) if len(selected) == 1 else INVALID


def question_prompt(question: dict, locale: str, default_locale: str) -> str:
    """Write a question as an SMS: its text, numbered choices, and how to answer."""
    def text(value):
        return logic.localize(value, locale, default_locale)

    words = translations(locale)

    lines = [text(question["text"])]
    kind = question["type"]
    if kind == "multiple_choice":
        lines += [f"{i} {text(c['label'])}" for i, c in enumerate(question["choices"], 1)]
        other_number = len(question["choices"]) + 1
        if question.get("allow_other"):
            lines.append(f"{other_number} " + words.pgettext("sms", "Other"))
        lines.append(words.pgettext("sms", "Reply with one or more numbers, e.g. 1,3.") if question.get("multiple")
                     else words.pgettext("sms", "Reply with the number of your answer."))
        if question.get("allow_other"):
            lines.append(words.pgettext("sms", "For {n}, add a few words: {n} your reason.").format(n=other_number))
    elif kind == "nps":
        lines.append(words.pgettext("sms", "Reply {low}-{high} ({low} = {low_label}, {high} = {high_label}).").format(
            low=0, high=10, low_label=words.pgettext("sms", "Not at all likely"),
            high_label=words.pgettext("sms", "Extremely likely")))
    elif kind == "likert":
        labels = question.get("labels") or {}
        scale = question.get("scale", 5)
        if labels.get("min") and labels.get("max"):
            lines.append(words.pgettext("sms", "Reply {low}-{high} ({low} = {low_label}, {high} = {high_label}).")
                         .format(low=1, high=scale, low_label=text(labels["min"]), high_label=text(labels["max"])))
        else:
            lines.append(words.pgettext("sms", "Reply with a number from {low} to {high}.").format(low=1, high=scale))
    elif kind == "yes_no":
        lines.append(words.pgettext("sms", "Reply YES or NO."))
    else:
        lines.append(words.pgettext("sms", "Reply with your answer."))
    if not logic.is_required(question):
        lines.append(words.pgettext("sms", "Reply {skip} to skip.").format(skip=words.pgettext("sms", "SKIP")))
    return "\n".join(lines)


def first_message(definition: dict, locale: str, org_name: str) -> str:
    """Write the conversation's opening: the org, the intro, the first question and how to stop."""
    intro = logic.localize(definition.get("intro"), locale, definition["default_locale"])
    question = logic.first_question(definition)
    prompt = question_prompt(question, locale, definition["default_locale"])
    head = f"{org_name}: {intro}" if intro else f"{org_name}:"
    stop_hint = translations(locale).pgettext("sms", "Reply STOP to opt out.")
    return f"{head}\n{prompt}\n{stop_hint}"


def thanks_message(definition: dict, locale: str) -> str:
    """Write the closing message of a completed conversation."""
    thanks = logic.localize(definition.get("thanks"), locale, definition["default_locale"])
    return thanks or translations(locale).pgettext("sms", "Thank you for telling us.")
