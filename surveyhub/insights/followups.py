"""The follow-up list: detractors and people who said yes (e.g. "would you come back?") to contact."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, exists, literal, or_, select

from ..errors import NotFound
from ..extensions import db
from ..models import Answer, FollowUpDone, Response, Survey, User
from ..models.types import JSONType
from .export import all_questions

DETRACTOR_SCORES = range(0, 7)


@dataclass(frozen=True)
class FollowUp:
    """One response to follow up, with why it is on the list."""

    response: Response
    reasons: list[str]
    done: FollowUpDone | None


def _json(value):
    """A JSON literal, compared with stored answers as JSON on both databases."""
    return literal(value, JSONType)


def list_follow_ups(survey: Survey, *, include_done: bool, before: int | None,
                    limit: int = 25) -> tuple[list[FollowUp], int | None]:
    """Return a page of the survey's follow-ups, newest first, and the id the next page starts before."""
    questions = all_questions(survey)
    nps_ids = [q["id"] for q in questions if q["type"] == "nps"]
    yes_ids = [q["id"] for q in questions if q["type"] == "yes_no"]
    if not nps_ids and not yes_ids:
        return [], None
    flagged = exists().where(Answer.response_id == Response.id, or_(
        and_(Answer.question_id.in_(nps_ids or [""]), Answer.value.in_([_json(v) for v in DETRACTOR_SCORES])),
        and_(Answer.question_id.in_(yes_ids or [""]), Answer.value == _json(True)),
    ))
    query = (select(Response, FollowUpDone).outerjoin(FollowUpDone, FollowUpDone.response_id == Response.id)
             .where(Response.survey_id == survey.id, flagged).order_by(Response.id.desc()).limit(limit + 1))
    if not include_done:
        query = query.where(FollowUpDone.response_id.is_(None))
    if before is not None:
        query = query.where(Response.id < before)
    rows = list(db.session.execute(query).unique())
    page = [FollowUp(response, _reasons(response, questions), done) for response, done in rows[:limit]]
    return page, page[-1].response.id if len(rows) > limit else None


def _reasons(response: Response, questions: list[dict]) -> list[str]:
    by_id = {q["id"]: q for q in questions}
    reasons = []
    for answer in response.answers:
        kind = by_id.get(answer.question_id, {}).get("type")
        if kind == "nps" and answer.value in DETRACTOR_SCORES:
            reasons.append(f"detractor ({answer.question_id}: {answer.value})")
        elif kind == "yes_no" and answer.value is True:
            reasons.append(f"said yes to {answer.question_id}")
    return reasons


def mark_done(survey: Survey, response_id: int, user: User) -> None:
    """Mark one of the survey's follow-ups as handled (again is fine)."""
    response = db.session.execute(
        select(Response).where(Response.id == response_id, Response.survey_id == survey.id)
    ).scalar_one_or_none()
    if response is None:
        raise NotFound(f"No response {response_id} in this survey.")
    if db.session.get(FollowUpDone, response_id) is None:
        db.session.add(FollowUpDone(response_id=response_id, done_by_user_id=user.id))
