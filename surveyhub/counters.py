"""Stats counters: what each event and answer adds, applied in the transaction that makes the change.

Changes are collected in the session as deltas and written just before it commits, merged and in
key order: one statement per transaction on PostgreSQL (one upsert per table on SQLite), and every
transaction takes counter row locks in the same order, so two of them never deadlock on counters.
A rollback discards the deltas with the change they counted. See docs/stats.md for what is counted where.
"""

from __future__ import annotations

import functools
import random
from collections import Counter
from collections.abc import Collection, Iterable
from datetime import date, datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event, inspect, or_, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from .bulk import any_of
from .extensions import db
from .models import (
    Answer,
    AnswerCounter,
    Event,
    FunnelCounter,
    Invitation,
    Respondent,
    Response,
    SurveyVersion,
    ThemeCounter,
    ThemeModel,
)
from .models.upsert import insert_for
from .rules import survey as logic

EVERYONE = ""
ANSWERED = "#"  # the bucket counting answers to a question, whatever their value
SHARDS = 8
MAX_ATTRIBUTE_VALUE = 200  # longer values get no counters; filters on them scan
_DELTAS = "surveyhub.counter_deltas"
# The people _attributes_by_row read, held until the transaction ends (the identity map is weak).
_PEOPLE = "surveyhub.counted_people"
_MISSING = object()
_NOBODY = object()
_FUNNEL_KEY = ("survey_id", "segment", "day", "channel", "metric")
_ANSWER_KEY = ("survey_id", "segment", "day", "channel", "question_id", "bucket")
_THEME_KEY = ("survey_id", "question_id", "theme_id", "day", "channel", "language")
NO_THEME = 0  # the theme counters' theme_id of texts in no theme


def attribute_text(value: Any) -> str | None:
    """Return an attribute value as filters compare it ("pro", "12", "true"), or None if it has none.

    Strings, integers and booleans compare as their JSON text; other values match no filter.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return str(value)
    return None


def segment_name(key: str, text: str) -> str:
    """Name the counter segment of one attribute value."""
    return f"{key}={text}"


def counted_segments(attributes: dict | None) -> list[str]:
    """Return the segments of the indexed attributes (STATS_ATTRIBUTES) that a person belongs to."""
    if not attributes:
        return []
    out = []
    for key in current_app.config["STATS_ATTRIBUTES"]:
        text = attribute_text(attributes.get(key))
        if text is not None and len(text) <= MAX_ATTRIBUTE_VALUE:
            out.append(segment_name(key, text))
    return out


def funnel_metric(type: str, data: dict | None) -> str:
    """Name the counter of an event: its type, or "offer_shown:OFFER_ID" for offer events."""
    offer = (data or {}).get("offer")
    if type.startswith("offer_") and isinstance(offer, str):
        return f"{type}:{offer}"
    return type


def answer_buckets(question: dict | None, value: Any) -> list[str]:
    """Return the buckets an answer counts in: "#" (answered), then its value or choices."""
    buckets = [ANSWERED]
    kind = question["type"] if question else None
    if kind in ("nps", "likert") and isinstance(value, int):
        buckets.append(str(value))
    elif kind == "yes_no" and isinstance(value, bool):
        buckets.append("true" if value else "false")
    elif kind == "multiple_choice":
        buckets.extend(str(c) for c in (value if isinstance(value, list) else [value]))
    return buckets


def _add(key: tuple, n: int) -> None:
    deltas: Counter = db.session.info.setdefault(_DELTAS, Counter())
    deltas[key] += n


def add_event(survey_id: int, channel: str, day: date, metric: str, segments: Iterable[str], n: int = 1) -> None:
    """Count an event (n=1) or take one back (n=-1) for everyone and for each of `segments`."""
    for segment in (EVERYONE, *segments):
        _add(("f", survey_id, segment, day, channel, metric), n)


def add_answer(survey_id: int, channel: str, day: date, question: dict | None, question_id: str, value: Any,
               segments: Iterable[str], n: int = 1) -> None:
    """Count an answer (n=1) or take it back (n=-1) for each of `segments` ("" is everyone)."""
    for segment in segments:
        for bucket in answer_buckets(question, value):
            _add(("a", survey_id, segment, day, channel, question_id, bucket), n)


def add_theme_text(survey_id: int, question_id: str, theme_id: int | None, day: date, channel: str,
                   language: str | None, n: int = 1) -> None:
    """Count a question's text in its theme (n=1) or take it back (n=-1); no theme counts as NO_THEME.

    A text in no theme counts without a language: the listing shows languages per theme only.
    """
    if theme_id is None:
        theme_id, language = NO_THEME, ""
    _add(("t", survey_id, question_id, theme_id, day, channel, language or ""), n)


def mark_themes_uncounted(survey_ids: Collection[int]) -> None:
    """Have the next listing of these surveys' themes count their texts afresh (themes.store.recount):
    after answers left in bulk (an erasure) or the other counters were rebuilt."""
    if survey_ids:
        db.session.execute(update(ThemeModel).where(ThemeModel.survey_id.in_(survey_ids)).values(counted=False)
                           .execution_options(synchronize_session=False))


def _attributes_by_row(model, row_ids: set[int]) -> dict[int, dict]:
    """Return the attributes of the people that responses or invitations (`model`) belong to, by row id
    (rows without a person are left out).

    Rows the session holds already with their person (the response an event is about, usually) are
    answered from it, as a query would after the autoflush; only the others are read, in one query,
    which puts their people in the session until the transaction ends: the next event of the same
    person in it (a cascade's step sent, then its next step invited) takes no query.
    """
    known: dict[int, dict] = {}
    unknown = set()
    for row_id in row_ids:
        attributes = _attributes_in_session(model, row_id)
        if attributes is _MISSING:
            unknown.add(row_id)
        elif attributes is not _NOBODY:
            known[row_id] = attributes
    if unknown:
        rows = db.session.execute(
            select(model.id, Respondent).join(Respondent, model.respondent_id == Respondent.id)
            .where(any_of(model.id, unknown))
        ).all()
        db.session.info.setdefault(_PEOPLE, []).extend(person for _, person in rows)
        known.update((row_id, person.attributes) for row_id, person in rows)
    return known


def _attributes_in_session(model, row_id: int) -> Any:
    """A row's person's attributes as the session has them: _NOBODY, or _MISSING if it takes a query."""
    row = db.session.identity_map.get(identity_key(model, row_id))
    if row is None or "respondent_id" in inspect(row).unloaded:
        return _MISSING
    if row.respondent_id is None:
        return _NOBODY
    person = db.session.identity_map.get(identity_key(Respondent, row.respondent_id))
    if person is None or "attributes" in inspect(person).unloaded:
        return _MISSING
    return person.attributes


def count_events(rows: list[dict]) -> None:
    """Count new events of a survey and channel (record_events calls this with the rows it inserts).

    Each counts for everyone and for the segments of its person: its response's respondent, else its
    invitation's, read in two queries at most for the whole batch.
    """
    rows = [row for row in rows if row["survey_id"] is not None and row["channel"] is not None]
    if not rows:
        return
    by_response: dict[int, dict] = {}
    by_invitation: dict[int, dict] = {}
    if current_app.config["STATS_ATTRIBUTES"]:
        by_response = _attributes_by_row(Response, {r["response_id"] for r in rows if r["response_id"] is not None})
        by_invitation = _attributes_by_row(
            Invitation, {r["invitation_id"] for r in rows
                         if r["invitation_id"] is not None and r["response_id"] not in by_response})
    for row in rows:
        attributes: dict | None
        if row["response_id"] in by_response:
            attributes = by_response[row["response_id"]]
        else:
            attributes = by_invitation.get(row["invitation_id"])
        add_event(row["survey_id"], row["channel"], row["occurred_at"].date(),
                  funnel_metric(row["type"], row["data"]), counted_segments(attributes))


def count_answer_changes(response: Response, before: dict[str, Any], after: dict[str, Any],
                         now: datetime) -> None:
    """Count the difference between a response's answers before and after a change."""
    questions = logic.questions_by_id(response.version.definition)
    day = (response.responded_at or now).date()
    segments = [EVERYONE, *counted_segments(response.respondent.attributes if response.respondent else None)]
    for qid in before.keys() | after.keys():
        old, new = before.get(qid, _MISSING), after.get(qid, _MISSING)
        if old == new and type(old) is type(new):
            continue
        if old is not _MISSING:
            add_answer(response.survey_id, response.channel, day, questions.get(qid), qid, old, segments, -1)
        if new is not _MISSING:
            add_answer(response.survey_id, response.channel, day, questions.get(qid), qid, new, segments, 1)



def move_person(respondent_id: int, old_segments: list[str], new_segments: list[str], *,
                erase: bool = False) -> None:
    """Move a person's events and answers from their old attribute segments to their new ones.

    With `erase`, their answers also leave the everyone counters (the answers are being deleted);
    their events stay there, as the event record does.
    """
    if old_segments == new_segments and not erase:
        return
    responses = select(Response.id).where(Response.respondent_id == respondent_id)
    invitations = select(Invitation.id).where(Invitation.respondent_id == respondent_id)
    events = db.session.execute(
        select(Event.survey_id, Event.channel, Event.type, Event.data, Event.occurred_at)
        .where(or_(Event.response_id.in_(responses), Event.invitation_id.in_(invitations)),
               Event.survey_id.is_not(None), Event.channel.is_not(None))
    )
    for survey_id, channel, type_, data, occurred_at in events:
        metric = funnel_metric(type_, data)
        for segment in old_segments:
            _add(("f", survey_id, segment, occurred_at.date(), channel, metric), -1)
        for segment in new_segments:
            _add(("f", survey_id, segment, occurred_at.date(), channel, metric), 1)
    answers = db.session.execute(
        select(Response.survey_id, Response.channel, Response.responded_at, SurveyVersion.definition,
               Answer.question_id, Answer.value)
        .join(Answer, Answer.response_id == Response.id)
        .join(SurveyVersion, SurveyVersion.id == Response.survey_version_id)
        .where(Response.respondent_id == respondent_id, Response.responded_at.is_not(None))
    )
    leaving = [EVERYONE, *old_segments] if erase else old_segments
    for survey_id, channel, responded_at, definition, qid, value in answers:
        question = logic.questions_by_id(definition).get(qid)
        day = responded_at.date()
        add_answer(survey_id, channel, day, question, qid, value, leaving, -1)
        add_answer(survey_id, channel, day, question, qid, value, new_segments, 1)


def discard_pending(session: Session) -> None:
    """Forget counter changes not yet written (their transaction rolled back)."""
    session.info.pop(_DELTAS, None)
    session.info.pop(_PEOPLE, None)


def write_pending(session: Session) -> None:
    """Write the session's counter changes, rows in key order: one statement (PostgreSQL), or one upsert per table."""
    session.info.pop(_PEOPLE, None)
    deltas: Counter | None = session.info.pop(_DELTAS, None)
    if not deltas:
        return
    shard = random.randrange(SHARDS)
    funnel = [dict(zip(_FUNNEL_KEY, key[1:], strict=True), shard=shard, count=n)
              for key, n in sorted(deltas.items(), key=_sort_key) if key[0] == "f" and n]
    answers = [dict(zip(_ANSWER_KEY, key[1:], strict=True), shard=shard, count=n)
               for key, n in sorted(deltas.items(), key=_sort_key) if key[0] == "a" and n]
    themes = [dict(zip(_THEME_KEY, key[1:], strict=True), count=n)
              for key, n in sorted(deltas.items(), key=_sort_key) if key[0] == "t" and n]
    dialect_name = session.get_bind().dialect.name
    if dialect_name == "postgresql":
        if funnel or answers:
            session.execute(_COUNTERS_UPSERT_PG, {
                **{f"f_{column}": [row[column] for row in funnel] for column in (*_FUNNEL_KEY, "shard", "count")},
                **{f"a_{column}": [row[column] for row in answers]
                   for column in (*_ANSWER_KEY, "shard", "count")}})
    else:
        for model, rows in ((FunnelCounter, funnel), (AnswerCounter, answers)):
            if rows:
                session.execute(_counter_upsert(dialect_name, model), rows)
    if themes:  # last, in every transaction: counter rows are always locked in the same order
        session.execute(_counter_upsert(dialect_name, ThemeCounter), themes)


# PostgreSQL: both tables' counters in one statement (one round trip), each table's rows as arrays
# in key order. The funnel's upsert runs first, whole (the scalar subquery reads it before the
# answers' upsert starts), so every transaction locks counter rows in the same order.
_COUNTERS_UPSERT_PG = text("""
WITH funnel AS (
    INSERT INTO stats_funnel AS c (survey_id, segment, day, channel, metric, shard, count)
    SELECT * FROM unnest(CAST(:f_survey_id AS integer[]), CAST(:f_segment AS varchar[]),
                         CAST(:f_day AS date[]), CAST(:f_channel AS varchar[]), CAST(:f_metric AS varchar[]),
                         CAST(:f_shard AS smallint[]), CAST(:f_count AS bigint[]))
    ON CONFLICT (survey_id, segment, day, channel, metric, shard)
    DO UPDATE SET count = c.count + EXCLUDED.count
    RETURNING 1
)
INSERT INTO stats_answers AS c (survey_id, segment, day, channel, question_id, bucket, shard, count)
SELECT * FROM unnest(CAST(:a_survey_id AS integer[]), CAST(:a_segment AS varchar[]), CAST(:a_day AS date[]),
                     CAST(:a_channel AS varchar[]), CAST(:a_question_id AS varchar[]),
                     CAST(:a_bucket AS varchar[]), CAST(:a_shard AS smallint[]), CAST(:a_count AS bigint[]))
WHERE (SELECT count(*) FROM funnel) >= 0
ON CONFLICT (survey_id, segment, day, channel, question_id, bucket, shard)
DO UPDATE SET count = c.count + EXCLUDED.count
""")


@functools.cache
def _counter_upsert(dialect_name: str, model):
    """INSERT a counter row, or add to its count: built once, run for many rows (executemany); SQLite's
    funnel and answer counters, and the theme counters of both databases."""
    key = {FunnelCounter: (*_FUNNEL_KEY, "shard"), AnswerCounter: (*_ANSWER_KEY, "shard"),
           ThemeCounter: _THEME_KEY}[model]
    statement = insert_for(dialect_name)(model.__table__)
    return statement.on_conflict_do_update(
        index_elements=list(key), set_={"count": model.__table__.c.count + statement.excluded.count})


def _sort_key(item: tuple[tuple, int]) -> tuple:
    return tuple(str(part) for part in item[0])


def init_app(app: Flask) -> None:
    """Write the counters with every commit of the app's session, and forget them on its rollbacks."""
    for name, listener in (("before_commit", write_pending), ("after_rollback", discard_pending)):
        if not event.contains(db.session, name, listener):  # one registration however many apps
            event.listen(db.session, name, listener)
