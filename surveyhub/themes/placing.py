"""A new answer's theme, given in the unit of work that writes the answer (responses.answers calls it).

Kept apart from store.py so that the answer path imports no insights: the stored grouping's `assign`
is all it needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import load_only

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


def place_answers(response: Response, written: Iterable[logic.CleanAnswer]) -> None:
    """Give each just-written answer to a grouped question its theme, in the answer's own unit of work.

    One lookup of the questions' stored groupings, then `assign` per text. An answer a manager placed
    keeps its place; one that has no text any more (an "other" changed to a choice) leaves its theme.
    """
    by_id = {q["id"]: q for q in response.version.definition["questions"]}
    themed = [(clean, by_id[clean.question]) for clean in written
              if clean.question in by_id and is_themed(by_id[clean.question])]
    if not themed:
        return
    models = {model.question_id: model for model in db.session.scalars(
        select(ThemeModel).options(load_only(ThemeModel.id, ThemeModel.question_id, ThemeModel.grouped_at,
                                             ThemeModel.slots))
        .where(ThemeModel.survey_id == response.survey_id,
               ThemeModel.question_id.in_([clean.question for clean, _ in themed])))}
    for clean, question in themed:
        model = models.get(clean.question)
        if model is None:
            continue
        text = clean.value if question["type"] == "open" else clean.other_text
        answer_id = db.session.execute(select(Answer.id).where(
            Answer.response_id == response.id, Answer.question_id == clean.question)).scalar_one()
        place = db.session.get(ThemeAnswer, answer_id)
        if place is not None and place.pinned:
            continue
        index = _loaded(model.id, model.grouped_at).assign(text) \
            if isinstance(text, str) and grouping.usable(text) else None
        theme_id = model.slots[index] if index is not None else None
        if theme_id is None or not isinstance(text, str):
            if place is not None:
                db.session.delete(place)
        elif place is None:
            db.session.add(ThemeAnswer(answer_id=answer_id, theme_id=theme_id,
                                       language=grouping.language_of(text), pinned=False))
        else:
            place.theme_id, place.language = theme_id, grouping.language_of(text)
    db.session.flush()
