"""The dashboard's view of responses: a filtered, paginated list and one response's journey."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Select, and_, func, or_, select

from ..extensions import db
from ..models import Answer, Cascade, Event, FollowUp, Invitation, Response, Survey
from .export import all_questions
from .open_answers import answer_text, responses_in
from .stats import StatsFilter

# NPS groups as the stats count them: promoters 9–10, passives 7–8, detractors 0–6.
NPS_GROUPS = {"promoter": range(9, 11), "passive": range(7, 9), "detractor": range(0, 7)}
DATE_PRESETS = (7, 30, 90)
# "Has follow-up": any follow-up, one not resolved yet, or none at all.
FOLLOW_UP_FILTERS = ("any", "unresolved", "none")


@dataclass(frozen=True)
class ResponseFilter:
    """Which of a survey's responses the list shows."""

    stats: StatsFilter = field(default_factory=StatsFilter)  # days (of the first answer), channel, attributes
    status: str | None = None
    nps_group: str | None = None
    search: str | None = None
    follow_up: str | None = None


@dataclass(frozen=True)
class Journey:
    """What happened to the person a response is from, on this survey: invitations, cascades, events."""

    invitations: list[Invitation]
    cascades: list[Cascade]
    events: list[Event]


def preset_days(days: int, today: date | None = None) -> tuple[date, date]:
    """Return the first and last day of the last `days` days, today included."""
    today = today or datetime.now(UTC).date()
    return today - timedelta(days=days - 1), today


def browse_responses(survey: Survey, filters: ResponseFilter, *, before: int | None,
                     limit: int = 25) -> tuple[list[Response], int | None]:
    """Return a page of the survey's responses, newest first, and the id to read the next page before.

    Three statements whatever the page's size: the responses (with their version and person joined),
    then their answers (one IN query), and nothing per row.
    """
    query = select(Response).where(Response.survey_id == survey.id).order_by(Response.id.desc()).limit(limit + 1)
    query = responses_in(query, survey, filters.stats)
    if filters.status:
        query = query.where(Response.status == filters.status)
    if filters.nps_group:
        query = _in_nps_group(query, survey, filters.nps_group)
    if filters.search:
        query = _with_text(query, survey, filters.search)
    if filters.follow_up:
        query = _with_follow_up(query, filters.follow_up)
    if before is not None:
        query = query.where(Response.id < before)
    rows = list(db.session.execute(query).unique().scalars())
    page = rows[:limit]
    return page, page[-1].id if len(rows) > limit else None


def _in_nps_group(query: Select, survey: Survey, group: str) -> Select:
    nps_ids = [q["id"] for q in all_questions(survey) if q["type"] == "nps"]
    values = NPS_GROUPS[group]
    dialect = db.session.get_bind().dialect.name
    # The stored JSON number as the database reads it: text on PostgreSQL (jsonb #>> '{}'), a number on SQLite.
    wanted = [str(v) for v in values] if dialect == "postgresql" else list(values)
    scored = select(Answer.response_id).where(Answer.question_id.in_(nps_ids or [""]),
                                              answer_text(dialect).in_(wanted))
    return query.where(Response.id.in_(scored))


def _with_follow_up(query: Select, which: str) -> Select:
    followed = select(FollowUp.response_id)
    if which == "unresolved":
        return query.where(Response.id.in_(followed.where(FollowUp.status != "resolved")))
    if which == "none":
        return query.where(Response.id.not_in(followed))
    return query.where(Response.id.in_(followed))


def _with_text(query: Select, survey: Survey, search: str) -> Select:
    open_ids = [q["id"] for q in all_questions(survey) if q["type"] == "open"]
    shown = func.coalesce(Answer.other_text, answer_text(db.session.get_bind().dialect.name))
    written = select(Answer.response_id).where(
        or_(Answer.question_id.in_(open_ids or [""]), Answer.other_text.is_not(None)),
        shown.icontains(search, autoescape=True))
    return query.where(Response.id.in_(written))


def journey(response: Response) -> Journey:
    """Return the person's invitations and cascades on the response's survey, and the events of all three."""
    # The invitation the response came by, and the person's others on this survey (cascade steps too).
    mine = Invitation.id == response.invitation_id
    if response.respondent_id is not None:
        mine = or_(mine, and_(Invitation.survey_id == response.survey_id,
                              Invitation.respondent_id == response.respondent_id))
    invitations = list(db.session.execute(
        select(Invitation).where(Invitation.org_id == response.org_id, mine).order_by(Invitation.send_at, Invitation.id)
    ).scalars())
    cascades: list[Cascade] = []
    if response.respondent_id is not None:
        cascades = list(db.session.execute(
            select(Cascade).where(Cascade.survey_id == response.survey_id,
                                  Cascade.respondent_id == response.respondent_id).order_by(Cascade.id)
        ).scalars())
    events = list(db.session.execute(
        select(Event).where(Event.org_id == response.org_id,
                            or_(Event.response_id == response.id,
                                Event.invitation_id.in_([i.id for i in invitations] or [0])))
        .order_by(Event.occurred_at, Event.id)
    ).scalars())
    return Journey(invitations, cascades, events)
