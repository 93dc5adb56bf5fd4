"""Open answers (and "other" texts) of a survey, searchable and paginated, for the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, literal_column, select, union_all

from ..extensions import db
from ..models import Answer, Respondent, Response, Survey
from .export import all_questions
from .stats import StatsFilter, day_bounds, people_matching


@dataclass(frozen=True)
class OpenAnswer:
    answer_id: int
    response_id: int
    question_id: str
    text: str
    channel: str
    answered_at: datetime
    external_id: str | None


def answer_text(dialect: str):
    """The stored JSON value as text: open answers are JSON strings."""
    if dialect == "postgresql":
        return Answer.value.op("#>>")(literal_column("'{}'"))
    return func.json_extract(Answer.value, "$")


def responses_in(query: Select, survey: Survey, filters: StatsFilter) -> Select:
    """Narrow a query joined to Response to the responses the filters keep (days, channel, attributes)."""
    start, end = day_bounds(filters)
    if start:
        query = query.where(Response.responded_at >= start)
    if end:
        query = query.where(Response.responded_at < end)
    if filters.channel:
        query = query.where(Response.channel == filters.channel)
    if filters.attributes:
        query = query.where(Response.respondent_id.in_(people_matching(survey, filters.attributes)))
    return query


def list_open_answers(survey: Survey, filters: StatsFilter, *, search: str | None, before: int | None,
                      limit: int = 20) -> tuple[list[OpenAnswer], int | None]:
    """Return a page of open answers and "other" texts, newest first, matching `search` if given.

    Each source of texts (an open question, the "other" texts) is walked newest first on its own index
    until a page of matches is found, and the pages merged: the rows read grow with the page, not with
    the survey.
    """
    text = answer_text(db.session.get_bind().dialect.name)
    shown = func.coalesce(Answer.other_text, text)
    sources = [Answer.question_id == q["id"] for q in all_questions(survey) if q["type"] == "open"]
    pages = []
    for source in [*sources, Answer.other_text.is_not(None)]:
        query = (
            select(Answer.id, Answer.response_id, Answer.question_id, shown.label("text"), Response.channel,
                   Answer.answered_at, Response.respondent_id)
            .join(Response, Response.id == Answer.response_id)
            .where(Answer.survey_id == survey.id, source)
        )
        query = responses_in(query, survey, filters)
        if search:
            query = query.where(shown.icontains(search, autoescape=True))
        if before is not None:
            query = query.where(Answer.id < before)
        pages.append(select(query.order_by(Answer.id.desc()).limit(limit + 1).subquery()))
    merged = union_all(*pages).subquery()
    rows = [OpenAnswer(*row) for row in db.session.execute(
        select(merged.c.id, merged.c.response_id, merged.c.question_id, merged.c.text, merged.c.channel,
               merged.c.answered_at, Respondent.external_id)
        .outerjoin(Respondent, Respondent.id == merged.c.respondent_id)
        .order_by(merged.c.id.desc()).limit(limit + 1))]
    page = rows[:limit]
    return page, page[-1].answer_id if len(rows) > limit else None
