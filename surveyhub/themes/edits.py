"""Managers' edits of a question's themes: rename, merge, split, and move an answer.

Each edit pins the answers it places (ThemeAnswer.pinned), so that a later regrouping leaves them
where the manager put them (store.regroup).
"""

from __future__ import annotations

from sqlalchemy import select, update

from ..errors import Invalid
from ..extensions import db
from ..models import Answer, Response, Survey, Theme, ThemeAnswer, ThemeModel
from ..tenancy import org_row
from . import grouping
from .members import members
from .store import MAX_LABEL, auto_label, bridges_of, lock_survey, recount, themed_question


def get_theme(org_id: int, theme_id: int) -> Theme:
    """Return one of the org's themes; another org's or an unknown id is NotFound."""
    return org_row(Theme, org_id, theme_id, "theme")


def survey_of(theme: Theme) -> Survey:
    """Return the survey a theme groups texts of."""
    return db.session.get_one(Survey, theme.survey_id)


def rename(theme: Theme, label: str | None) -> Theme:
    """Give a theme the manager's label; None gives it back its automatic one."""
    if label is not None:
        label = label.strip()
        if not label:
            raise Invalid("A theme's label must not be empty.", {"label": "must not be empty"})
        if len(label) > MAX_LABEL:
            raise Invalid(f"A theme's label is at most {MAX_LABEL} characters.",
                          {"label": f"must be at most {MAX_LABEL} characters"})
    theme.custom_label = label
    db.session.flush()
    return theme


def merge(theme: Theme, into: Theme) -> Theme:
    """Move all of `theme`'s answers into `into` (pinned there) and remove `theme`; new answers follow."""
    if into.id == theme.id:
        raise Invalid("A theme cannot be merged into itself.", {"into": "is the theme being merged"})
    if (into.survey_id, into.question_id) != (theme.survey_id, theme.question_id):
        raise Invalid("Themes merge only within one question.", {"into": "is a theme of another question"})
    lock_survey(survey_of(theme))
    db.session.execute(update(ThemeAnswer).where(ThemeAnswer.theme_id == theme.id)
                       .values(theme_id=into.id, pinned=True).execution_options(synchronize_session=False))
    model = _model(theme)
    model.slots = [into.id if slot == theme.id else slot for slot in model.slots]
    db.session.delete(theme)
    db.session.flush()
    _recount(into)
    return into


def split(theme: Theme) -> tuple[Theme, Theme]:
    """Group a theme's answers in two: the bigger part stays, the other becomes a new theme; all pinned."""
    survey = survey_of(theme)
    lock_survey(survey)
    inside = [m for m in members(theme) if grouping.usable(m.text)]
    if len(inside) < 2:
        raise Invalid("A theme needs at least two answers to be split.", {"theme": "has fewer than two answers"})
    question = themed_question(survey, theme.question_id)
    halves = grouping.group([m.text for m in inside], bridges=bridges_of(survey, question), k=2)
    if len(halves.themes) < 2:
        raise Invalid("The theme's answers do not fall into two groups.", {"theme": "cannot be split"})
    by_size = sorted(range(len(halves.themes)), key=lambda index: -halves.assignments.count(index))
    keep, second = by_size[0], by_size[1]
    leaving = {m.answer_id for m, index in zip(inside, halves.assignments, strict=True)
               if index is not None and index != keep}
    if not leaving:
        raise Invalid("The theme's answers do not fall into two groups.", {"theme": "cannot be split"})
    other = Theme(org_id=theme.org_id, survey_id=theme.survey_id, question_id=theme.question_id,
                  label=auto_label(halves.themes[second].words))
    db.session.add(other)
    db.session.flush()
    db.session.execute(update(ThemeAnswer).where(ThemeAnswer.answer_id.in_(leaving))
                       .values(theme_id=other.id, pinned=True).execution_options(synchronize_session=False))
    db.session.execute(update(ThemeAnswer).where(ThemeAnswer.theme_id == theme.id)
                       .values(pinned=True).execution_options(synchronize_session=False))
    db.session.flush()
    _recount(theme)
    return theme, other


def move(theme: Theme, response_id: int) -> Theme:
    """Put the answer of response `response_id` to the theme's question into `theme`, pinned."""
    row = db.session.execute(
        select(Answer.id, Answer.value, Answer.other_text).join(Response, Response.id == Answer.response_id)
        .where(Answer.response_id == response_id, Answer.question_id == theme.question_id,
               Response.survey_id == theme.survey_id)
    ).one_or_none()
    text = None if row is None else (row.other_text if row.other_text is not None else row.value)
    if row is None or not isinstance(text, str):
        raise Invalid(f"Response {response_id} has no text answer to this theme's question.",
                      {"response_id": "has no text answer to the theme's question"})
    place = db.session.get(ThemeAnswer, row.id)
    if place is None:
        db.session.add(ThemeAnswer(answer_id=row.id, theme_id=theme.id, language=grouping.language_of(text),
                                   pinned=True))
    else:
        place.theme_id, place.pinned = theme.id, True
    db.session.flush()
    _recount(theme)
    return theme


def _recount(theme: Theme) -> None:
    """Count the theme's question afresh: an edit moved answers between themes."""
    survey = survey_of(theme)
    recount(survey, themed_question(survey, theme.question_id))


def _model(theme: Theme) -> ThemeModel:
    return db.session.execute(select(ThemeModel).where(
        ThemeModel.survey_id == theme.survey_id, ThemeModel.question_id == theme.question_id)).scalar_one()
