"""Reading short answers: scripts, language, words and their light stems (en, ms, id, zh)."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")
# Letters that Jawi adds to the Arabic alphabet for Malay sounds (nga, pa, nya, ca, ga, va).
_JAWI_ONLY = re.compile(r"[\u06a0\u06a4\u06bd\u0686\u0762\u06cf\u06ac\u08b3]")
# Letters and digits apart, so "RM200" reads as "rm" and "200".
LATIN_WORD = re.compile(r"[a-z]+|[0-9]+")
_SQUEEZE = re.compile(r"([a-z])\1{2,}")

# Words common in one of the three Latin-script languages and rare in the other two; Malay and Indonesian
# share most of their vocabulary, so their lists hold the everyday words where they part ways.
_MARKER_TEXT: dict[str, str] = {
    "en": (
        """the and is are was were it its this that we our you your they with for not too very of to have has
        had but just no don doesn didn can cant isn would will be been using use used because there their
        what when which so much"""
    ),
    "ms": (
        """tak nak dah je kerana sebab boleh sahaja sangat kami kita awak ni tu lah pun macam sikit duit wang
        kena tiada takde guna syarikat sokongan khidmat bajet lagi pula selalu kerja mahu bila tapi perlu
        faham apl aplikasi pejabat rm masa ini"""
    ),
    "id": (
        """gak nggak ga enggak udah banget aja saja karena bisa kami kita kalian nih tuh sih dong deh kok yang
        pakai uang perusahaan layanan kantor tidak sudah belum lagi jadi bikin kayak gimana soalnya mau
        tapi perlu paham aplikasi rp terlalu"""
    ),
}
_MARKERS: dict[str, frozenset[str]] = {lang: frozenset(text.split()) for lang, text in _MARKER_TEXT.items()}


def has_letters(text: str) -> bool:
    """Whether the text holds at least one letter of any script (not only emoji, digits or punctuation)."""
    return any(unicodedata.category(char).startswith("L") for char in text)


def fold(text: str) -> str:
    """Lower-case the text, drop accents and squeeze stretched letters: "Café", "cafe" and "caaafe" read the same."""
    if text.isascii():
        return _SQUEEZE.sub(r"\1", text.lower())
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return _SQUEEZE.sub(r"\1", "".join(char for char in decomposed if not unicodedata.combining(char)))


def latin_words(folded: str) -> list[str]:
    """The Latin-script words of a folded text."""
    return LATIN_WORD.findall(folded)


def han_count(text: str) -> int:
    """How many Chinese characters the text holds."""
    return len(_HAN.findall(text))


def han_runs(text: str) -> list[str]:
    """The runs of Chinese characters in the text."""
    return re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", text)


def language_of(text: str) -> str:
    """The dominant language of the text: "en", "ms", "id", "zh" or "und" (how: `language_of_folded`)."""
    return language_of_folded(text, fold(text))


def language_of_folded(text: str, folded: str) -> str:
    """The dominant language of the text: "en", "ms", "id", "zh", or "und" when it cannot tell.

    Chinese is told by its script: a Chinese character weighs about as much as a word of the others, so
    "太贵了 too expensive" is Chinese. Jawi (Malay written in Arabic script) is told by the letters only
    Jawi has. Among English, Malay and Indonesian the language with the most marker words wins; a tie
    between Malay and Indonesian goes to the one with its own marker words, and else to Malay.
    `folded` is `fold(text)`, for callers that have it already.
    """
    words = latin_words(folded)
    hans = han_count(folded)
    if hans and hans >= len(words):
        return "zh"
    if not words:
        if _JAWI_ONLY.search(text):
            return "ms"
        return "und"
    scores = {lang: sum(word in markers for word in words) for lang, markers in _MARKERS.items()}
    malay_family = max(scores["ms"], scores["id"])
    if scores["en"] > malay_family:
        return "en"
    if malay_family == 0:
        return "en" if any(len(word) > 1 and not word.isdigit() for word in words) else "und"
    if scores["ms"] == scores["id"]:
        only_ms = sum(word in _MARKERS["ms"] and word not in _MARKERS["id"] for word in words)
        only_id = sum(word in _MARKERS["id"] and word not in _MARKERS["ms"] for word in words)
        return "id" if only_id > only_ms else "ms"
    return "ms" if scores["ms"] > scores["id"] else "id"


@lru_cache(maxsize=65536)
def english_stem(word: str) -> str:
    """A light English stem: plural, -ing, -ed, -ly and a final e go ("pricing", "prices" -> "pric")."""
    stem = word
    if len(stem) > 3 and stem.endswith("ies"):
        stem = stem[:-3] + "y"
    elif len(stem) > 3 and stem.endswith("s") and not stem.endswith("ss"):
        stem = stem[:-1]
    for suffix in ("ing", "ed", "ly"):
        if len(stem) > len(suffix) + 2 and stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    if len(stem) > 3 and stem.endswith("e"):
        stem = stem[:-1]
    return stem


# Malay/Indonesian prefixes, longest first, with the first letter each may have swallowed
# ("menunggu" is men- + tunggu, "memakai" mem- + pakai).
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("meng", "k"), ("meny", "s"), ("peng", "k"), ("peny", "s"), ("mem", "p"), ("men", "t"), ("pem", "p"),
    ("pen", "t"), ("ber", ""), ("ter", ""), ("per", ""), ("me", ""), ("pe", ""), ("be", ""), ("di", ""),
    ("ke", ""), ("se", ""),
)
_SUFFIXES: tuple[str, ...] = ("nya", "lah", "kah", "pun", "kan", "an", "i")


@lru_cache(maxsize=65536)
def malay_stems(word: str) -> frozenset[str]:
    """Light Malay/Indonesian stems: particles, -kan/-an/-i and one prefix stripped ("dibayar" -> "bayar").

    Several forms come back when a prefix may have swallowed a letter; the lexicon's words go through
    the same function, so the two meet on whichever form they share.
    """
    stems = {word}
    base = word
    for suffix in _SUFFIXES:
        if len(base) > len(suffix) + 3 and base.endswith(suffix):
            base = base[: -len(suffix)]
            stems.add(base)
            break
    for candidate in (word, base):
        for prefix, swallowed in _PREFIXES:
            if len(candidate) > len(prefix) + 3 and candidate.startswith(prefix):
                rest = candidate[len(prefix) :]
                stems.add(rest)
                if swallowed:
                    stems.add(swallowed + rest)
                break
    return frozenset(stems)


@lru_cache(maxsize=65536)
def word_forms(word: str) -> frozenset[str]:
    """Every form a Latin-script word is looked up by: itself, its English stem and its Malay stems."""
    return frozenset({word, english_stem(word)} | malay_stems(word))
