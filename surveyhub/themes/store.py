"""Stored themes of one question's texts: the full grouping, a new answer's place, and the listing.

The texts of a question are its open answers, or a choice question's "other" texts. The first listing
(or an explicit regrouping) groups them all and stores each answer's theme; afterwards a new answer is
placed by the stored grouping in the unit of work that writes it (`place_answers`), and a full
regrouping happens again only when asked or when the texts have doubled since the last one.

A regrouping keeps what managers did: answers they placed (`pinned`) stay where they are, and each new
group takes over the stored theme that gave it most of its members — its id, its custom label and its
`addressed_at` — so that renames, merges, splits and moves survive.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ARRAY, Integer, Select, and_, case, cast, delete, func, literal, select, true, union_all

from ..counters import EVERYONE, NO_THEME
from ..errors import Invalid
from ..extensions import db
from ..i18n import choose_locale
from ..insights.export import all_questions
from ..insights.open_answers import answer_text, responses_in
from ..insights.stats import StatsFilter, counted_segment
from ..models import Answer, Response, Survey, Theme, ThemeAnswer, ThemeCounter, ThemeModel
from ..models.types import utcnow
from ..rules import survey as logic
from . import grouping
from .placing import is_themed

# The texts may double since the last full grouping before a listing regroups them all.
REGROUP_GROWTH = 2
# ...and at least this many must have arrived (a handful of answers is no reason to regroup).
REGROUP_MIN_NEW = 10
EXAMPLES = 3
LABEL_WORDS = 3
MAX_LABEL = 200


@dataclass(frozen=True)
class Text:
    """One answer's text, with its place if it has one."""

    answer_id: int
    response_id: int
    text: str
    answered_at: datetime
    theme_id: int | None
    language: str | None
    pinned: bool


@dataclass(frozen=True)
class Example:
    response_id: int
    text: str


@dataclass
class ThemeSummary:
    id: int
    label: str
    count: int
    share: float
    examples: list[Example]
    languages: dict[str, int]
    custom_label: str | None
    addressed_at: datetime | None
    # Counts per period of the listing's `periods` (the dashboard's trend); empty when not asked for.
    trend: list[int]


@dataclass
class ThemeListing:
    question_id: str
    themes: list[ThemeSummary]
    answered: int
    unassigned: int
    periods: list[str]


# ---- the question and its texts -------------------------------------------------------------------

def themed_question(survey: Survey, question_id: str) -> dict:
    """Return the question whose texts are grouped: an open one, or a choice question taking "other"."""
    question = next((q for q in all_questions(survey) if q["id"] == question_id), None)
    if question is None:
        raise Invalid(f"The survey has no question {question_id!r}.", {"question": "is not a question of the survey"})
    if not is_themed(question):
        raise Invalid(f"Question {question_id!r} takes no text: themes group open answers and \"other\" texts.",
                      {"question": "is not an open question nor a choice question with allow_other"})
    return question


def themed_questions(survey: Survey) -> list[dict]:
    """Return the survey's questions that have texts to group, in the survey's order."""
    return [q for q in all_questions(survey) if is_themed(q)]


def _texts_query(survey: Survey, question: dict, filters: StatsFilter | None = None) -> Select:
    """Select the question's texts (those in `filters`, if given) with their places, in answer order."""
    dialect = db.session.get_bind().dialect.name
    if question["type"] == "open":
        shown = answer_text(dialect)
        # A text as the stored value reads: any JSON on PostgreSQL (#>> gives text), a string (or JSON
        # array/object, which SQLite gives as text) on SQLite.
        is_text = shown.is_not(None) if dialect == "postgresql" else \
            func.json_type(Answer.value).in_(("text", "array", "object"))
        has_text = (Answer.question_id == question["id"]) & is_text
    else:
        shown = Answer.other_text
        has_text = (Answer.question_id == question["id"]) & Answer.other_text.is_not(None)
    query = (
        select(Answer.id.label("answer_id"), Answer.response_id, shown.label("text"), Answer.answered_at,
               ThemeAnswer.theme_id, ThemeAnswer.language, func.coalesce(ThemeAnswer.pinned, False))
        .join(Response, Response.id == Answer.response_id)
        .outerjoin(ThemeAnswer, ThemeAnswer.answer_id == Answer.id)
        .where(Answer.survey_id == survey.id, has_text)
        .order_by(Answer.id)
    )
    return responses_in(query, survey, filters) if filters is not None else query


def _texts(survey: Survey, question: dict, filters: StatsFilter | None = None) -> list[Text]:
    """Return the question's texts (those in `filters`, if given), oldest first, each with its place."""
    return [Text(*row) for row in db.session.execute(_texts_query(survey, question, filters))]


def bridges_of(survey: Survey, question: dict) -> list[dict[str, str]]:
    """The choice labels that bridge languages: a choice question's own, else every choice question's."""
    default = survey.definition["default_locale"]
    sources = [question] if question["type"] == "multiple_choice" else \
        [q for q in all_questions(survey) if q["type"] == "multiple_choice"]
    return [c["label"] if isinstance(c["label"], dict) else {default: c["label"]}
            for q in sources for c in q["choices"]]


def _themes_of(survey: Survey, question_id: str) -> list[Theme]:
    return list(db.session.execute(
        select(Theme).where(Theme.survey_id == survey.id, Theme.question_id == question_id).order_by(Theme.id)
    ).scalars())


def _model_of(survey_id: int, question_id: str) -> ThemeModel | None:
    return db.session.execute(
        select(ThemeModel).where(ThemeModel.survey_id == survey_id, ThemeModel.question_id == question_id)
    ).scalar_one_or_none()


def lock_survey(survey: Survey) -> None:
    """Serialize groupings of one survey (PostgreSQL; SQLite writes one at a time anyway)."""
    db.session.execute(select(Survey.id).where(Survey.id == survey.id).with_for_update())


# ---- full grouping ----------------------------------------------------------------------------------

def ensure_grouped(survey: Survey, question: dict) -> ThemeModel:
    """Return the question's stored grouping, counted, grouping (again) first if none exists or the texts doubled."""
    model = _model_of(survey.id, question["id"])
    if model is not None and model.counted and not _grown(survey, question, model):
        return model
    lock_survey(survey)
    model = _model_of(survey.id, question["id"])  # another request may have grouped while we waited
    if model is not None and not model.counted:
        recount(survey, question)
    if model is not None and not _grown(survey, question, model):
        return model
    return regroup(survey, question, locked=True)


def _grown(survey: Survey, question: dict, model: ThemeModel) -> bool:
    # Counted by the counters first: when even all texts (usable or not) are too few, nothing needs reading.
    texts = db.session.execute(select(func.coalesce(func.sum(ThemeCounter.count), 0)).where(
        ThemeCounter.survey_id == survey.id, ThemeCounter.question_id == question["id"])).scalar_one()
    if texts - model.grouped_count < REGROUP_MIN_NEW or texts < REGROUP_GROWTH * model.grouped_count:
        return False
    usable = sum(1 for t in _texts(survey, question) if grouping.usable(t.text))
    grown = usable - model.grouped_count
    return grown >= REGROUP_MIN_NEW and usable >= REGROUP_GROWTH * model.grouped_count


def recount(survey: Survey, question: dict) -> None:
    """Count the question's texts into its theme counters afresh, from the texts and their places.

    Under the grouping's row lock (FOR UPDATE): answers placing texts hold it shared until they commit,
    so none is counted twice or lost. Run after every change of many places (a regrouping, an edit)
    and for a grouping marked uncounted (counters.mark_themes_uncounted; the counters' migration).
    """
    model = db.session.execute(select(ThemeModel).where(
        ThemeModel.survey_id == survey.id, ThemeModel.question_id == question["id"]).with_for_update()).scalar_one()
    db.session.flush()  # the places this transaction changed
    db.session.execute(delete(ThemeCounter).where(ThemeCounter.survey_id == survey.id,
                                                  ThemeCounter.question_id == question["id"]))
    tally: Counter = Counter()
    texts = _texts_query(survey, question).order_by(None).with_only_columns(
        ThemeAnswer.theme_id, ThemeAnswer.language, func.coalesce(Response.responded_at, Answer.answered_at),
        Response.channel, maintain_column_froms=True)
    for theme_id, language, at, channel in db.session.execute(texts):
        themed = theme_id is not None
        tally[(theme_id if themed else NO_THEME, (language or "") if themed else "", at.date(), channel)] += 1
    if tally:
        db.session.execute(ThemeCounter.__table__.insert(), [
            {"survey_id": survey.id, "question_id": question["id"], "theme_id": theme_id, "day": day,
             "channel": channel, "language": language, "count": n}
            for (theme_id, language, day, channel), n in sorted(tally.items())])
    model.counted = True
    db.session.flush()


def regroup(survey: Survey, question: dict, *, locked: bool = False) -> ThemeModel:
    """Group all the question's texts afresh and store every answer's theme, keeping managers' edits."""
    if not locked:
        lock_survey(survey)
    texts = [t for t in _texts(survey, question) if grouping.usable(t.text)]
    bridges = bridges_of(survey, question)
    result = grouping.group([t.text for t in texts], bridges=bridges)
    old = {theme.id: theme for theme in _themes_of(survey, question["id"])}
    slots = _match_groups(texts, result.assignments, len(result.themes))
    for index, found in enumerate(result.themes):
        slot = slots[index]
        theme = old.get(slot) if slot is not None else None
        if theme is None:
            theme = Theme(org_id=survey.org_id, survey_id=survey.id, question_id=question["id"], label="")
            db.session.add(theme)
        theme.label = auto_label(found.words)
        theme.choice_labels = bridges[found.bridge] if found.bridge is not None else None
        if slots[index] is None:
            db.session.flush()  # the new theme's id
            slots[index] = theme.id
    theme_ids = list(old) + [i for i in slots if i is not None and i not in old]
    if theme_ids:
        db.session.execute(delete(ThemeAnswer).where(ThemeAnswer.theme_id.in_(theme_ids),
                                                     ThemeAnswer.pinned.is_(False)))
    rows = [{"answer_id": t.answer_id, "theme_id": slots[index], "language": grouping.language_of(t.text),
             "pinned": False}
            for t, index in zip(texts, result.assignments, strict=True) if index is not None and not t.pinned]
    if rows:
        db.session.execute(ThemeAnswer.__table__.insert(), rows)
    kept = set(slots) | {t.theme_id for t in texts if t.pinned}
    for theme_id, theme in old.items():
        if theme_id not in kept and theme.addressed_at is None:
            db.session.delete(theme)
    model = _model_of(survey.id, question["id"])
    if model is None:
        model = ThemeModel(org_id=survey.org_id, survey_id=survey.id, question_id=question["id"])
        db.session.add(model)
    model.model = result.to_json()
    model.slots = slots
    model.grouped_count = len(texts)
    model.grouped_at = utcnow()
    db.session.flush()
    recount(survey, question)
    return model


def _match_groups(texts: Sequence[Text], assignments: Sequence[int | None], size: int) -> list[int | None]:
    """Map each new group to the stored theme it continues (None: a new theme).

    A member votes for the theme it is in now (a pinned one for the theme it is pinned to). The pairs
    with most votes are matched first, one group per theme; a group left over whose members are mostly
    pinned to one theme feeds that theme too (a merge's two groups, say).
    """
    votes: list[Counter[int]] = [Counter() for _ in range(size)]
    pinned: list[Counter[int]] = [Counter() for _ in range(size)]
    for text, index in zip(texts, assignments, strict=True):
        if index is not None and text.theme_id is not None:
            votes[index][text.theme_id] += 1
            if text.pinned:
                pinned[index][text.theme_id] += 1
    slots: list[int | None] = [None] * size
    taken: set[int] = set()
    pairs = sorted(((n, index, theme_id) for index, counter in enumerate(votes) for theme_id, n in counter.items()),
                   key=lambda pair: (-pair[0], pair[1], pair[2]))
    for _, index, theme_id in pairs:
        if slots[index] is None and theme_id not in taken:
            slots[index] = theme_id
            taken.add(theme_id)
    for index in range(size):
        if slots[index] is None and pinned[index]:
            theme_id, n = pinned[index].most_common(1)[0]
            if 2 * n > sum(1 for i in assignments if i == index):
                slots[index] = theme_id
    return slots


def auto_label(words: Sequence[str]) -> str:
    return " · ".join(words[:LABEL_WORDS])[:MAX_LABEL] or "—"


# ---- the listing ------------------------------------------------------------------------------------

def list_themes(survey: Survey, question: dict, filters: StatsFilter, locale: str | None, *,
                periods: Sequence[tuple[str, datetime, datetime]] = ()) -> ThemeListing:
    """Return the question's themes over the texts in `filters`, biggest first, labels in `locale`.

    `periods` (label, start, end): also count each theme's texts per period, for a trend. Counted from
    the theme counters (rows per theme, language, day and channel, not per text); a filter on an
    attribute counts the texts themselves.
    """
    ensure_grouped(survey, question)
    answered = 0
    sizes: Counter = Counter()
    languages: dict[int, Counter] = {}
    trends: dict[int, list[int]] = {}
    for theme_id, lang, bar, n in _counts(survey, question, filters, periods):
        answered += n
        if theme_id is None:
            continue
        sizes[theme_id] += n
        languages.setdefault(theme_id, Counter())[lang or "und"] += n
        trend = trends.setdefault(theme_id, [0] * len(periods))
        if bar >= 0:
            trend[bar] += n
    themes = {theme.id: theme for theme in _themes_of(survey, question["id"])}
    examples = _examples(survey, list(sizes), filters)
    default = survey.definition["default_locale"]
    out = []
    for theme_id, size in sizes.items():
        theme = themes[theme_id]
        out.append(ThemeSummary(
            id=theme_id, label=label_of(theme, locale, default), count=size, share=size / answered,
            examples=examples.get(theme_id, []),
            # Most common first; a tie in the languages' alphabetical order.
            languages=dict(sorted(languages[theme_id].items(), key=lambda item: (-item[1], item[0]))),
            custom_label=theme.custom_label, addressed_at=theme.addressed_at, trend=trends[theme_id],
        ))
    out.sort(key=lambda s: (-s.count, s.id))
    assigned = sum(s.count for s in out)
    return ThemeListing(question_id=question["id"], themes=out, answered=answered,
                        unassigned=answered - assigned, periods=[label for label, _, _ in periods])


def _counts(survey: Survey, question: dict, filters: StatsFilter,
            periods: Sequence[tuple[str, datetime, datetime]]) -> list[tuple[int | None, str, int, int]]:
    """The texts in `filters` counted per theme (None: no theme), language and period (-1: none of them)."""
    if counted_segment(filters) == EVERYONE:
        day = ThemeCounter.day
        period = case(*((and_(day >= start.date(), day < end.date()), index)
                        for index, (_, start, end) in enumerate(periods)), else_=-1) if periods else literal(-1)
        where = [ThemeCounter.survey_id == survey.id, ThemeCounter.question_id == question["id"]]
        if filters.date_from:
            where.append(day >= filters.date_from)
        if filters.date_to:
            where.append(day <= filters.date_to)
        if filters.channel:
            where.append(ThemeCounter.channel == filters.channel)
        rows = db.session.execute(
            select(ThemeCounter.theme_id, ThemeCounter.language, period, func.sum(ThemeCounter.count))
            .where(*where).group_by(ThemeCounter.theme_id, ThemeCounter.language, period))
        return [(None if theme_id == NO_THEME else theme_id, lang, bar, int(n)) for theme_id, lang, bar, n in rows]
    texts = _texts_query(survey, question, filters).order_by(None).subquery()
    at = texts.c.answered_at
    period = case(*((and_(at >= start, at < end), index) for index, (_, start, end) in enumerate(periods)),
                  else_=-1) if periods else literal(-1)
    rows = db.session.execute(select(texts.c.theme_id, texts.c.language, period, func.count())
                              .group_by(texts.c.theme_id, texts.c.language, period))
    return [(theme_id, lang, bar, n) for theme_id, lang, bar, n in rows]


def _examples(survey: Survey, theme_ids: Sequence[int], filters: StatsFilter) -> dict[int, list[Example]]:
    """Each theme's newest texts in `filters`, as many as EXAMPLES, in one statement: per theme, its
    answers walked newest first on (theme_id, answer_id) until EXAMPLES match — a LATERAL join over the
    theme ids on PostgreSQL, a UNION ALL of one such walk per theme elsewhere."""
    if not theme_ids:
        return {}
    dialect = db.session.get_bind().dialect.name
    text = func.coalesce(Answer.other_text, answer_text(dialect))

    def newest(theme_id: Any) -> Select:
        query = (
            select(ThemeAnswer.theme_id, ThemeAnswer.answer_id, Answer.response_id, text.label("text"))
            .join(Answer, Answer.id == ThemeAnswer.answer_id).join(Response, Response.id == Answer.response_id)
            .where(ThemeAnswer.theme_id == theme_id)
        )
        return responses_in(query, survey, filters).order_by(ThemeAnswer.answer_id.desc()).limit(EXAMPLES)

    if dialect == "postgresql":
        themes = func.unnest(cast(list(theme_ids), ARRAY(Integer))).table_valued("id").render_derived()
        walk = newest(themes.c.id).lateral()
        merged = select(walk).select_from(themes).join(walk, true()).subquery()
    else:
        merged = union_all(*(select(newest(theme_id).subquery()) for theme_id in theme_ids)).subquery()
    out: dict[int, list[Example]] = {}
    for theme_id, response_id, shown in db.session.execute(
            select(merged.c.theme_id, merged.c.response_id, merged.c.text)
            .order_by(merged.c.theme_id, merged.c.answer_id.desc())):
        out.setdefault(theme_id, []).append(Example(response_id, shown))
    return out


def label_of(theme: Theme, locale: str | None, default_locale: str) -> str:
    """A theme's label: the manager's, else its matching choice's in `locale`, else its telling words."""
    if theme.custom_label:
        return theme.custom_label
    if theme.choice_labels:
        return logic.localize(theme.choice_labels, locale, default_locale)
    return theme.label


def label_locale(survey: Survey, *candidates: str | None) -> str:
    """The locale labels are shown in: the first candidate the survey speaks, else its default."""
    return choose_locale(logic.survey_locales(survey.definition), *candidates)


def summary_of(survey: Survey, theme: Theme, locale: str | None) -> ThemeSummary:
    """Return one theme as the all-time listing shows it (count 0 when no answer is in it)."""
    question = themed_question(survey, theme.question_id)
    listing = list_themes(survey, question, StatsFilter(), locale)
    found = next((s for s in listing.themes if s.id == theme.id), None)
    if found is not None:
        return found
    return ThemeSummary(id=theme.id, label=label_of(theme, locale, survey.definition["default_locale"]), count=0,
                        share=0.0, examples=[], languages={}, custom_label=theme.custom_label,
                        addressed_at=theme.addressed_at, trend=[])


# ---- the insights page's panel ------------------------------------------------------------------------

# At most this many bars in a theme's trend: longer periods are cut into this many equal spans.
MAX_TREND_BARS = 12


@dataclass
class QuestionThemes:
    """One question's themes as the insights page shows them."""

    question: dict
    text: str  # the question, in the labels' locale
    listing: ThemeListing


def trend_periods(start: date, end: date) -> list[tuple[str, datetime, datetime]]:
    """Cut the days [start, end] into weeks (Monday first), or MAX_TREND_BARS equal spans when longer."""
    first = start - timedelta(days=start.weekday())
    weeks = (end - first).days // 7 + 1
    step = 7 * -(-weeks // MAX_TREND_BARS)  # whole weeks per bar
    out = []
    day = first
    while day <= end:
        until = day + timedelta(days=step)
        out.append((day.isoformat(), datetime.combine(day, time.min, UTC), datetime.combine(until, time.min, UTC)))
        day = until
    return out


def _period_of(survey: Survey, question: dict, filters: StatsFilter) -> tuple[date, date] | None:
    """The days the trend covers: the filters' from/to, an open end taken from the texts themselves.

    With both ends given no text is read (panel_themes drops the periods when there is no text).
    """
    if filters.date_from and filters.date_to:
        return (filters.date_from, filters.date_to) if filters.date_from <= filters.date_to else None
    texts = _texts_query(survey, question, filters).order_by(None).subquery()
    earliest, latest = db.session.execute(select(func.min(texts.c.answered_at), func.max(texts.c.answered_at))).one()
    if earliest is None:
        return None
    first = filters.date_from or earliest.date()
    last = filters.date_to or latest.date()
    return (first, last) if first <= last else None


def panel_themes(survey: Survey, filters: StatsFilter, locale: str | None) -> list[QuestionThemes]:
    """Return the themes of each question with texts, over the texts in `filters`, with a weekly trend."""
    out = []
    for question in themed_questions(survey):
        period = _period_of(survey, question, filters)
        periods = trend_periods(*period) if period else []
        text = logic.localize(question["text"], locale, survey.definition["default_locale"])
        listing = list_themes(survey, question, filters, locale, periods=periods)
        if not listing.answered:
            listing.periods = []  # no text: no trend
        out.append(QuestionThemes(question, text, listing))
    return out
