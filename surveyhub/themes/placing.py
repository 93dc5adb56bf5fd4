"""A new answer's theme, given in the unit of work that writes the answer (responses.answers calls it).

Kept apart from store.py so that the answer path imports no insights: the stored grouping's `assign`
is all it needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache, partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import load_only

from .. import counters
from ..extensions import db
from ..models import Answer, Response, ThemeAnswer, ThemeModel
from ..rules import survey as logic
from . import grouping


def is_themed(question: dict) -> bool:
    """Whether a question has texts to group: an open one, or a choice question taking "other"."""
    return question["type"] == "open" or (question["type"] == "multiple_choice" and bool(question.get("allow_other")))


@lru_cache(maxsize=64)
def _loaded(model_id: int, grouped_at: datetime) -> grouping.Grouping:
    """The stored grouping, parsed once per process for each full grouping."""
    stored = db.session.execute(select(ThemeModel.model).where(ThemeModel.id == model_id)).scalar_one()
    return grouping.Grouping.from_json(stored)


def place_answers(response: Response, before: Mapping[str, Any], written: Iterable[logic.CleanAnswer], now: datetime,
                  *, removed: Iterable[str] = ()) -> None:
    """Give each just-written answer to a grouped question its theme, in the answer's own unit of work.

    One lookup of the questions' stored groupings, then `assign` per text. An answer a manager placed
    keeps its place; one that has no text any more (an "other" changed to a choice) leaves its theme.
    The question's theme counters follow: the text's old place (from `before`, the answers as they
    were) leaves them and its new one joins; the answers to `removed` questions (hidden by a changed
    answer, deleted by the caller after this) leave them. Runs before those deletions.
    """
    by_id = {q["id"]: q for q in response.version.definition["questions"]}
    themed = [(clean, by_id[clean.question]) for clean in written
              if clean.question in by_id and is_themed(by_id[clean.question])]
    written_ids = {clean.question for clean, _ in themed}
    leaving = [qid for qid in removed if qid in by_id and is_themed(by_id[qid]) and qid not in written_ids]
    if not themed and not leaving:
        return
    # FOR SHARE: answers place texts side by side, and a recount of the question's counters
    # (store.recount, FOR UPDATE) waits for them to commit, and they for it.
    models = {model.question_id: model for model in db.session.scalars(
        select(ThemeModel).options(load_only(ThemeModel.id, ThemeModel.question_id, ThemeModel.grouped_at,
                                             ThemeModel.slots))
        .where(ThemeModel.survey_id == response.survey_id, ThemeModel.question_id.in_([*written_ids, *leaving]))
        .with_for_update(read=True))}
    count = partial(counters.add_theme_text, response.survey_id, day=(response.responded_at or now).date(),
                    channel=response.channel)
    for qid in leaving:
        if qid in models and had_text(by_id[qid], before.get(qid)):
            place = _place_of(response, qid)
            count(qid, place.theme_id if place else None, language=place.language if place else None, n=-1)
    for clean, question in themed:
        model = models.get(clean.question)
        if model is None:
            continue
        text = clean.value if question["type"] == "open" else clean.other_text
        place = _place_of(response, clean.question)
        if had_text(question, before.get(clean.question)):
            count(clean.question, place.theme_id if place else None, language=place.language if place else None,
                  n=-1)
        if place is not None and place.pinned:
            if isinstance(text, str):
                count(clean.question, place.theme_id, language=place.language)
            continue
        index = _loaded(model.id, model.grouped_at).assign(text) \
            if isinstance(text, str) and grouping.usable(text) else None
        theme_id = model.slots[index] if index is not None else None
        if isinstance(text, str):
            count(clean.question, theme_id, language=grouping.language_of(text) if theme_id is not None else None)
        if theme_id is None or not isinstance(text, str):
            if place is not None:
                db.session.delete(place)
        elif place is None:
            db.session.add(ThemeAnswer(answer_id=_answer_id(response, clean.question), theme_id=theme_id,
                                       language=grouping.language_of(text), pinned=False))
        else:
            place.theme_id, place.language = theme_id, grouping.language_of(text)
    db.session.flush()


def had_text(question: dict, value: Any) -> bool:
    """Whether an answer's value came with a text to group: an open answer, or the choice "other"."""
    if question["type"] == "open":
        return isinstance(value, str)
    return logic.mentions_other(value)


def _answer_id(response: Response, question_id: str) -> int:
    return db.session.execute(select(Answer.id).where(
        Answer.response_id == response.id, Answer.question_id == question_id)).scalar_one()


def _place_of(response: Response, question_id: str) -> ThemeAnswer | None:
    return db.session.execute(
        select(ThemeAnswer).join(Answer, Answer.id == ThemeAnswer.answer_id)
        .where(Answer.response_id == response.id, Answer.question_id == question_id)).scalar_one_or_none()
