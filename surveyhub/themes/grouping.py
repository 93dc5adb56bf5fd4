"""Group short open answers into themes, whatever their language (en, ms, id, zh, mixed), offline.

Each answer is read into concept features: the exit-survey concepts of `lexicon.CONCEPTS` it mentions in
any of the four languages, plus the survey's own choice labels (`bridges`) as extra words. Answers are
grouped by their strongest concept, small groups are folded into their nearest neighbour, and a few rounds
of spherical k-means on the concept vectors settle answers that mention two things. Answers that mention
no known concept share one residual theme. A `Grouping` keeps one centroid per theme, so a new answer is
assigned later without regrouping (`Grouping.assign`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from math import ceil
from typing import Any

import numpy as np

from surveyhub.themes.lexicon import (
    ABSENCE_CONCEPT,
    ABSENCE_PAIRS,
    ABSENCE_WORDS,
    CONCEDED_SHARE,
    CONCEPTS,
    CONTRAST_MARKERS,
    OUTRANKS,
    SHORT_FORMS,
    SHORT_NOT,
    STOPWORDS,
    YIELD_SHARE,
)
from surveyhub.themes.text import (
    LATIN_WORD,
    english_stem,
    fold,
    han_runs,
    has_letters,
    language_of,
    language_of_folded,
    latin_words,
    malay_stems,
    word_forms,
)

__all__ = ["Grouping", "Theme", "group", "language_of", "usable"]

FORMAT_VERSION = 1
HINT_WEIGHT = 0.5
# A theme needs at least this share of the grouped answers (and at least two answers) when k is not given.
MIN_THEME_SHARE = 0.02
# A concept named again in the same answer adds this share of the repeat's weight.
REPEAT_SHARE = 0.3
REFINE_ROUNDS = 2
# A mention at the start of a text counts 1 + LEAD_SPAN / 2, one at its end 1 - LEAD_SPAN / 2.
LEAD_SPAN = 0.8
WORDS_PER_THEME = 5
# A Latin word of this many letters or more the lexicon does not know is read as the lexicon's word one
# letter away, a letter missing or one too many after the first ("expensve", "intergration"); a changed
# letter is not a typo here, it too often makes another word ("paling" is not "paying").
TYPO_MIN_LETTERS = 6
# In a Chinese lexicon entry, GAP stands for up to GAP_CHARS characters of the same clause.
GAP = "…"
GAP_CHARS = 3
CLAUSE_BREAKS = "，。！？；：、,.!?;:\\s"


def usable(text: str) -> bool:
    """Whether the text says something: False for empty, whitespace, emoji- or punctuation-only texts."""
    return has_letters(text)


@dataclass
class Theme:
    """One theme: its most telling words, the choice it matches (index into bridges), size and languages."""

    words: list[str]
    bridge: int | None
    size: int
    languages: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        """The theme as plain JSON values."""
        return {"words": self.words, "bridge": self.bridge, "size": self.size, "languages": self.languages}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Theme:
        """Read a theme written by `to_json`."""
        return cls(list(data["words"]), data["bridge"], int(data["size"]), dict(data["languages"]))


@dataclass(frozen=True)
class _Entry:
    """One lexicon entry compiled for matching: its words' forms (Latin) or its characters (Chinese)."""

    dim: int
    weight: float
    forms: tuple[frozenset[str], ...] = ()
    han: str = ""
    gap: re.Pattern[str] | None = None


@dataclass
class _Reading:
    """What a text says in concept terms: weight per dimension and the words that said it; its language."""

    language: str = "und"
    weights: dict[int, float] = field(default_factory=dict)
    said: dict[int, list[str]] = field(default_factory=dict)


def _entry_forms(word: str, lang: str) -> frozenset[str]:
    """The forms a lexicon word is indexed by: stemmed the way its own language is."""
    if lang == "en":
        return frozenset({word, english_stem(word)})
    return frozenset({word}) | malay_stems(word)


class _Matcher:
    """The lexicon (and the bridges' words) compiled into lookups: Latin phrases by first word, Chinese entries."""

    def __init__(self, bridges: Sequence[Mapping[str, str]]) -> None:
        self.dims: list[str] = list(CONCEPTS)
        self.absence_dim = self.dims.index(ABSENCE_CONCEPT)
        self.outranks = [(self.dims.index(first), self.dims.index(second)) for first, second in OUTRANKS]
        self._heads: dict[str, list[_Entry]] = {}
        self._known: set[str] = set()
        self._near: dict[str, set[str]] = {}
        self._han: dict[str, list[_Entry]] = {}
        for dim, (concept, by_lang) in enumerate(CONCEPTS.items()):
            del concept
            for lang, terms in by_lang.items():
                for term in terms:
                    weight = HINT_WEIGHT if term.startswith("~") else 1.0
                    self._add(term.lstrip("~"), lang, dim, weight)
        self.bridge_dims: list[int] = [self._add_bridge(index, labels) for index, labels in enumerate(bridges)]

    def _add(self, term: str, lang: str, dim: int, weight: float) -> None:
        if lang == "zh" and han_runs(term):
            self._han.setdefault(term[0], []).append(_Entry(dim, weight, han=term, gap=_gap_pattern(term)))
            return
        words = latin_words(fold(term))
        if not words:
            return
        entry = _Entry(dim, weight, forms=tuple(_entry_forms(word, lang) for word in words))
        for form in entry.forms[0]:
            self._heads.setdefault(form, []).append(entry)
        for word, forms in zip(words, entry.forms, strict=True):
            self._known.update(forms)
            if len(word) >= TYPO_MIN_LETTERS:
                self._near.setdefault(word, set()).add(word)
                for variant in _one_letter_less(word):
                    self._near.setdefault(variant, set()).add(word)

    def _add_bridge(self, index: int, labels: Mapping[str, str]) -> int:
        """Give a choice's labels a dimension: the concept they name, or one of their own; index their words."""
        said: dict[int, float] = {}
        for label in labels.values():
            for dim, weight in self.read(label).weights.items():
                said[dim] = said.get(dim, 0.0) + weight
        if said:
            dim = max(said, key=lambda named: said[named])
        else:
            dim = len(self.dims)
            self.dims.append(f"choice:{index}")
        for lang, label in labels.items():
            lang = lang.split("-")[0].lower()
            self._add(label, lang, dim, 1.0)
            for word in _content_words(label):
                self._add(word, lang, dim, HINT_WEIGHT)
        return dim

    def read(self, text: str) -> _Reading:
        """The concept features of a text.

        Longest matches win (of equal ones, a full entry over a hint) and each word counts once. A match
        counts more the earlier it comes (people lead with their main reason), and a concept named several
        times counts its strongest mention in full and the others at `REPEAT_SHARE`; of a pair in `OUTRANKS`
        named together, the second counts at `YIELD_SHARE`. "No <something unknown>"
        ("no calendar view", "takde app Android") hints at something missing.
        """
        folded = fold(text)
        reading = _Reading(language=language_of_folded(text, folded))
        spans: list[tuple[int, int]] = []
        words: list[str] = []
        for match in LATIN_WORD.finditer(folded):
            for word in self._spelt_out(match.group()):
                spans.append((match.start(), match.end()))
                words.append(word)
        forms = [self._forms_of(word) for word in words]
        matches: list[tuple[int, int, int, float, str]] = []
        for first, word_form in enumerate(forms):
            for entry in self._entries_from(word_form, phrases_only=words[first] in STOPWORDS):
                last = first + len(entry.forms) - 1
                if last < len(forms) and all(forms[first + i] & entry.forms[i] for i in range(len(entry.forms))):
                    surface = folded[spans[first][0] : spans[last][1]]
                    matches.append((spans[first][0], spans[last][1], entry.dim, entry.weight, surface))
        for start, char in enumerate(folded if han_runs(folded) else ""):
            for entry in self._han.get(char, ()):
                if entry.gap is not None:
                    if (gapped := entry.gap.match(folded, start)) is not None:
                        matches.append((start, gapped.end(), entry.dim, entry.weight, gapped.group()))
                elif folded.startswith(entry.han, start):
                    matches.append((start, start + len(entry.han), entry.dim, entry.weight, entry.han))
        turn = _turn(folded, words, spans)
        conceding = any(start > turn for start, *_ in matches) and any(start < turn for start, *_ in matches)
        taken: list[tuple[int, int]] = []
        found: dict[int, list[float]] = {}
        # Longest first; of matches over the same words, a full entry before a hint ("down" is a Malay
        # word for an outage and an English hint), then the earlier.
        by_strength = sorted(matches, key=lambda match: (match[0] - match[1], -match[3], match[0]))
        for start, end, dim, weight, surface in by_strength:
            if any(start < other_end and other_start < end for other_start, other_end in taken):
                continue
            taken.append((start, end))
            if conceding and start < turn:
                weight *= CONCEDED_SHARE
            found.setdefault(dim, []).append(weight * _lead(start, len(folded)))
            reading.said.setdefault(dim, []).append(surface)
        for index in _absences(words):
            start = spans[index][0]
            if not any(other_start <= start < other_end for other_start, other_end in taken):
                found.setdefault(self.absence_dim, []).append(HINT_WEIGHT * _lead(start, len(folded)))
        for dim, weights in found.items():
            strongest = max(weights)
            reading.weights[dim] = strongest + REPEAT_SHARE * (sum(weights) - strongest)
        for first, second in self.outranks:
            if first in reading.weights and second in reading.weights:
                reading.weights[second] *= YIELD_SHARE
        return reading

    def _spelt_out(self, word: str) -> list[str]:
        """The words a chat short form stands for ("gk" -> gak, "xfaham" -> tak faham); else the word itself."""
        if word in SHORT_FORMS:
            return SHORT_FORMS[word].split()
        rest = word[len(SHORT_NOT) :]
        if word.startswith(SHORT_NOT) and len(rest) >= 3 and word not in self._known and rest in self._known:
            return ["tak", rest]
        return [word]

    def _forms_of(self, word: str) -> frozenset[str]:
        """A text word's forms; a long word the lexicon does not know also takes the lexicon words one letter away.

        `_near` holds each long lexicon word under itself and under each of its one-letter-less variants: the
        text word is one letter short when it is such a variant, one letter long when a variant of it is the word.
        """
        forms = word_forms(word)
        if len(word) < TYPO_MIN_LETTERS or word in STOPWORDS or forms & self._known:
            return forms
        near = {known for variant in (word, *_one_letter_less(word)) for known in self._near.get(variant, ())
                if variant in (word, known)}
        if not near:
            return forms
        return forms.union(*(word_forms(known) for known in near))

    def _entries_from(self, word_form: frozenset[str], *, phrases_only: bool) -> list[_Entry]:
        """The entries starting with this word, once each; a stopword starts only phrases ("no one", "for now")."""
        entries = {id(entry): entry for form in word_form for entry in self._heads.get(form, ())}
        return [entry for entry in entries.values() if not phrases_only or len(entry.forms) > 1]

    def vector(self, reading: _Reading) -> np.ndarray:
        """The reading as a unit vector over the dimensions (all zeros when it says nothing known)."""
        vector = np.zeros(len(self.dims))
        for dim, weight in reading.weights.items():
            vector[dim] = weight
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector


def _turn(folded: str, words: list[str], spans: list[tuple[int, int]]) -> int:
    """Where the text's first contrast marker ("but", "tapi", 但是) is; past its end when it has none."""
    starts = [start for word, (start, _) in zip(words, spans, strict=True) if word in CONTRAST_MARKERS]
    starts += [folded.find(marker) for marker in CONTRAST_MARKERS if not marker.isascii() and marker in folded]
    return min(starts, default=len(folded))


def _one_letter_less(word: str) -> set[str]:
    """The words made by dropping one letter of the word after its first."""
    return {word[:index] + word[index + 1 :] for index in range(1, len(word))}


def _gap_pattern(term: str) -> re.Pattern[str] | None:
    """A Chinese entry with gaps ("用…少": 用, then 少 within a few characters, as in 用得太少), compiled."""
    if GAP not in term:
        return None
    return re.compile(f"[^{CLAUSE_BREAKS}]{{0,{GAP_CHARS}}}".join(map(re.escape, term.split(GAP))))


def _lead(start: int, length: int) -> float:
    """How much a mention at this offset counts: 1.25 at the start of the text down to 0.75 at its end."""
    return 1 + LEAD_SPAN / 2 - LEAD_SPAN * start / max(length, 1)


def _absences(words: list[str]) -> list[int]:
    """Where a word saying "there is no" is followed by a word that is not a stopword ("no calendar")."""
    found = []
    for index, word in enumerate(words[:-1]):
        following = index + 1
        if word in ABSENCE_PAIRS and words[following] == "ada":
            following += 1
        elif word not in ABSENCE_WORDS:
            continue
        if following < len(words) and words[following] not in STOPWORDS:
            found.append(index)
    return found


@lru_cache(maxsize=1)
def _jieba() -> Any:
    """jieba, imported and initialised once, quietly (it logs its dictionary loading)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _content_words(text: str) -> list[str]:
    """The words of a text worth showing: Latin words of 3+ letters and Chinese words of 2+ characters, no stopwords."""
    folded = fold(text)
    words = [word for word in latin_words(folded) if len(word) >= 3 and not word.isdigit() and word not in STOPWORDS]
    for run in han_runs(folded):
        words.extend(word for word in _jieba().lcut(run) if len(word) >= 2 and word not in STOPWORDS)
    return words


class Grouping:
    """Themes found in a set of texts, the theme of each text, and what `assign` needs for new texts."""

    def __init__(
        self,
        assignments: list[int | None],
        themes: list[Theme],
        *,
        bridges: Sequence[Mapping[str, str]],
        dims: list[str],
        centroids: np.ndarray,
        residual: int | None,
    ) -> None:
        self.assignments = assignments
        self.themes = themes
        self._bridges = [dict(labels) for labels in bridges]
        self._matcher = _matcher_for(self._bridges)
        if self._matcher.dims != dims:
            raise ValueError("the grouping was made with another lexicon; group the texts again")
        self._centroids = centroids
        self._residual = residual

    def assign(self, text: str) -> int | None:
        """The theme a new text joins: the nearest one; None when the text is unusable or fits no theme."""
        if not usable(text):
            return None
        vector = self._matcher.vector(self._matcher.read(text))
        if not vector.any() or not len(self._centroids):
            return self._residual
        similarity = self._centroids @ vector
        best = int(np.argmax(similarity))
        return best if similarity[best] > 0 else self._residual

    def to_json(self) -> dict[str, Any]:
        """What `from_json` needs to assign new texts: themes, centroids and bridges (not the texts' vectors)."""
        return {
            "version": FORMAT_VERSION,
            "dims": self._matcher.dims,
            "bridges": self._bridges,
            "centroids": [[round(float(value), 4) for value in row] for row in self._centroids],
            "residual": self._residual,
            "themes": [theme.to_json() for theme in self.themes],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Grouping:
        """Read a grouping written by `to_json`; its assignments are the caller's to keep, so they come back empty."""
        if data.get("version") != FORMAT_VERSION:
            raise ValueError("unknown grouping format; group the texts again")
        dims = list(data["dims"])
        centroids = np.array(data["centroids"], dtype=float).reshape(len(data["centroids"]), len(dims))
        return cls(
            [],
            [Theme.from_json(theme) for theme in data["themes"]],
            bridges=data["bridges"],
            dims=dims,
            centroids=centroids,
            residual=data["residual"],
        )


def _matcher_for(bridges: Sequence[Mapping[str, str]]) -> _Matcher:
    """The compiled matcher for these bridges (the plain lexicon is compiled once)."""
    if not bridges:
        return _plain_matcher()
    return _Matcher(bridges)


@lru_cache(maxsize=1)
def _plain_matcher() -> _Matcher:
    return _Matcher(())


def group(texts: Sequence[str], *, bridges: Sequence[Mapping[str, str]] = (), k: int | None = None) -> Grouping:
    """Group texts into themes; unusable texts get no theme.

    `bridges` are the survey's choice labels, one mapping locale -> label per choice: answers using a
    choice's words join that choice's theme, and the theme says which (`Theme.bridge`). With `k` given,
    at most k themes come back (fewer when the texts name fewer distinct things); without it, every
    concept that at least 2% of the answers (and two of them) name is a theme.
    """
    if k is not None and k < 1:
        raise ValueError("k must be at least 1")
    matcher = _matcher_for(bridges)
    readings: list[_Reading | None] = [matcher.read(text) if usable(text) else None for text in texts]
    rows = [index for index, reading in enumerate(readings) if reading is not None and reading.weights]
    vectors = np.array([matcher.vector(readings[index]) for index in rows]).reshape(len(rows), len(matcher.dims))  # type: ignore[arg-type]
    silent = [index for index, reading in enumerate(readings) if reading is not None and not reading.weights]

    labels = _cluster(vectors, k=None if k is None else k - (1 if silent else 0))
    clusters = sorted(set(labels.tolist()), key=lambda label: -int((labels == label).sum()))
    renumber = {label: position for position, label in enumerate(clusters)}
    centroids = np.array([_unit(vectors[labels == label].mean(axis=0)) for label in clusters])
    centroids = centroids.reshape(len(clusters), len(matcher.dims))
    # Answers that name nothing known share a residual theme, or join the largest when k leaves no room.
    residual: int | None = None
    silent_theme: int | None = None
    if silent:
        silent_theme = 0 if k is not None and clusters and len(clusters) >= k else len(clusters)
        residual = silent_theme if silent_theme == len(clusters) else None
    themes_of: list[int | None] = [None] * len(texts)
    for row, label in zip(rows, labels.tolist(), strict=True):
        themes_of[row] = renumber[label]
    for index in silent:
        themes_of[index] = silent_theme
    count = len(clusters) + (residual is not None)
    themes = [_describe(position, themes_of, texts, readings, matcher, centroids) for position in range(count)]
    return Grouping(themes_of, themes, bridges=bridges, dims=matcher.dims, centroids=centroids, residual=residual)


def _cluster(vectors: np.ndarray, *, k: int | None) -> np.ndarray:
    """Cluster unit concept vectors: seed by strongest dimension, fold small seeds, refine with spherical k-means."""
    if not len(vectors):
        return np.zeros(0, dtype=int)
    strongest = vectors.argmax(axis=1)
    sizes = Counter(strongest.tolist())
    ranked = [dim for dim, _ in sizes.most_common()]
    if k is None:
        floor = max(2, ceil(MIN_THEME_SHARE * len(vectors)))
        kept = [dim for dim in ranked if sizes[dim] >= floor] or ranked[:1]
    else:
        kept = ranked[: max(k, 1)]
    centroids = np.array([_unit(vectors[strongest == dim].mean(axis=0)) for dim in kept])
    labels = (vectors @ centroids.T).argmax(axis=1)
    for _ in range(REFINE_ROUNDS):
        centroids = np.array(
            [_unit(vectors[labels == label].mean(axis=0)) if (labels == label).any() else centroids[label]
             for label in range(len(kept))]
        )
        labels = (vectors @ centroids.T).argmax(axis=1)
    return labels


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def _describe(
    position: int,
    themes_of: list[int | None],
    texts: Sequence[str],
    readings: list[_Reading | None],
    matcher: _Matcher,
    centroids: np.ndarray,
) -> Theme:
    """A theme's words, bridge, size and languages, from its texts."""
    members = [index for index, theme in enumerate(themes_of) if theme == position]
    languages = Counter(reading.language for index in members if (reading := readings[index]) is not None)
    words = Counter[str]()
    bridge = None
    if position < len(centroids):
        dim = int(np.argmax(centroids[position]))
        for index in members:
            reading = readings[index]
            if reading is not None:
                words.update(reading.said.get(dim, ()))
        if dim in matcher.bridge_dims:
            bridge = matcher.bridge_dims.index(dim)
    else:
        for index in members:
            words.update(dict.fromkeys(_content_words(texts[index]), 1))
    return Theme(
        words=[word for word, _ in words.most_common(WORDS_PER_THEME)],
        bridge=bridge,
        size=len(members),
        languages=dict(languages.most_common()),
    )
