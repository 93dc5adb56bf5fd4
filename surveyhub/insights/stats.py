"""Survey stats (CONTRACT §5, §9): the funnel per channel, per-question summaries, offers, a time series, cascades.

Read from the counters (surveyhub/counters.py) when the filters are ones they are kept for; otherwise
from the raw rows of the people an attribute filter selects, at a bounded cost. docs/stats.md says which.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, cast, delete, func, literal, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import aliased

from .. import counters
from ..errors import Invalid
from ..extensions import db
from ..models import (
    CHANNELS,
    Answer,
    AnswerCounter,
    Event,
    FunnelCounter,
    Invitation,
    Respondent,
    Response,
    Survey,
    SurveyVersion,
)
from ..rules import survey as logic
from .cascades import cascade_stats
from .export import all_questions

# What "reached" means on each channel (CONTRACT §5).
REACHED = {"email": "sent", "sms": "sent", "widget": "displayed", "web": "opened", "interview": "opened"}
FUNNEL_METRICS = ("invited", "sent", "delivered", "failed", "opened", "displayed", "dismissed")
SERIES_METRICS = ("sent", "displayed", "opened", "responded", "completed")
MAX_SERIES_POINTS = 1000
INTEGER_TEXT = re.compile(r"^-?(0|[1-9][0-9]{0,17})$")


@dataclass(frozen=True)
class StatsFilter:
    """Which part of a survey's data the stats describe; dates are UTC days, both ends included."""

    date_from: date | None = None
    date_to: date | None = None
    channel: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class Tally:
    """Raw sums the stats are shaped from."""

    funnel: Counter = field(default_factory=Counter)  # (channel, metric) → n
    answers: Counter = field(default_factory=Counter)  # (question id, bucket) → n
    series: Counter = field(default_factory=Counter)  # (day, channel, metric) → n


def survey_stats(survey: Survey, filters: StatsFilter, interval: str | None = None, *,
                 cascades: bool = True) -> dict:
    """Return the survey's stats for these filters, with a time series when `interval` is given.

    `cascades=False` leaves out `cascade` (two queries over the rows) where it is not shown.
    """
    segment = counted_segment(filters)
    if segment is not None:
        tally = _tally_from_counters(survey, filters, segment, series=interval is not None)
    else:
        tally = _tally_from_rows(survey, filters, series=interval is not None)
    out = shape(survey, tally, filters)
    if cascades:
        start, end = day_bounds(filters)
        people = people_matching(survey, filters.attributes) if filters.attributes else None
        out["cascade"] = cascade_stats(survey, start=start, end=end, channel=filters.channel, people=people)
    if interval is not None:
        out["series"] = _series(tally, filters, interval)
    return out


def counted_segment(filters: StatsFilter) -> str | None:
    """Return the counter segment that answers these filters, or None when they need a scan."""
    if not filters.attributes:
        return counters.EVERYONE
    if len(filters.attributes) > 1:
        return None
    ((key, text),) = filters.attributes.items()
    if key in current_app.config["STATS_ATTRIBUTES"] and len(text) <= counters.MAX_ATTRIBUTE_VALUE:
        return counters.segment_name(key, text)
    return None


def day_bounds(filters: StatsFilter) -> tuple[datetime | None, datetime | None]:
    """Return the filters' days as [start, end) UTC times; None for an open end."""
    start = datetime.combine(filters.date_from, time.min, UTC) if filters.date_from else None
    end = datetime.combine(filters.date_to + timedelta(days=1), time.min, UTC) if filters.date_to else None
    return start, end


def _tally_from_counters(survey: Survey, filters: StatsFilter, segment: str, series: bool) -> Tally:
    tally = Tally()
    for model, group in ((FunnelCounter, (FunnelCounter.channel, FunnelCounter.metric)),
                         (AnswerCounter, (AnswerCounter.question_id, AnswerCounter.bucket))):
        where = [model.survey_id == survey.id, model.segment == segment]
        if filters.date_from:
            where.append(model.day >= filters.date_from)
        if filters.date_to:
            where.append(model.day <= filters.date_to)
        if filters.channel:
            where.append(model.channel == filters.channel)
        rows = db.session.execute(select(*group, func.sum(model.count)).where(*where).group_by(*group))
        target = tally.funnel if model is FunnelCounter else tally.answers
        for a, b, n in rows:
            target[(a, b)] += int(n)
        if series and model is FunnelCounter:
            series_rows = db.session.execute(
                select(model.day, model.channel, model.metric, func.sum(model.count))
                .where(*where, model.metric.in_(SERIES_METRICS))
                .group_by(model.day, model.channel, model.metric)
            )
            for day, channel, metric, n in series_rows:
                tally.series[(day, channel, metric)] += int(n)
    return tally


def attribute_matches(key: str, text: str):
    """Build the SQL condition "the person's attribute KEY compares equal to TEXT" (see attribute_text).

    On PostgreSQL the jsonb containment (@>) terms let the GIN index find the candidates.
    """
    column = Respondent.attributes
    candidates: list[Any] = [text]
    if INTEGER_TEXT.match(text):
        candidates.append(int(text))
    if text in ("true", "false"):
        candidates.append(text == "true")
    if db.session.get_bind().dialect.name == "postgresql":
        contains = or_(*(column.op("@>")(cast(literal({key: c}, JSONB), JSONB)) for c in candidates))
        return and_(contains, column[key].as_string() == text)
    path = f'$."{key}"'
    kind = func.json_type(column, path)
    terms = [and_(kind == "text", func.json_extract(column, path) == text)]
    if INTEGER_TEXT.match(text):
        terms.append(and_(kind == "integer", func.json_extract(column, path) == int(text)))
    if text in ("true", "false"):
        terms.append(kind == text)
    return or_(*terms)


def people_matching(survey: Survey, attributes: dict[str, str]):
    """Select the ids of the org's respondents whose current attributes match all of `attributes`."""
    return select(Respondent.id).where(
        Respondent.org_id == survey.org_id, *(attribute_matches(k, v) for k, v in attributes.items())
    )


def _tally_from_rows(survey: Survey, filters: StatsFilter, series: bool) -> Tally:
    """Tally the raw rows of the people the attribute filters select, refusing past STATS_SCAN_LIMIT."""
    people = people_matching(survey, filters.attributes)
    limit = current_app.config["STATS_SCAN_LIMIT"]
    found = db.session.execute(select(func.count()).select_from(people.limit(limit + 1).subquery())).scalar_one()
    if found > limit:
        names = ", ".join(f"attr.{k}" for k in filters.attributes)
        raise Invalid(
            f"The filter {names} matches more than {limit} people, too many to count without counters: "
            "filter on one attribute listed in SURVEYHUB_STATS_ATTRIBUTES, or narrow the filter.",
            {f"attr.{k}": "matches too many people to scan" for k in filters.attributes},
        )
    tally = Tally()
    start, end = day_bounds(filters)
    responses = select(Response.id).where(Response.survey_id == survey.id, Response.respondent_id.in_(people))
    invitations = select(Invitation.id).where(Invitation.survey_id == survey.id,
                                              Invitation.respondent_id.in_(people))
    query = select(Event.channel, Event.type, Event.data, Event.occurred_at).where(
        Event.survey_id == survey.id, Event.channel.is_not(None),
        or_(Event.response_id.in_(responses), Event.invitation_id.in_(invitations)),
    )
    query = _where_range(query, Event.occurred_at, Event.channel, filters, start, end)
    for channel, type_, data, occurred_at in db.session.execute(query):
        metric = counters.funnel_metric(type_, data)
        tally.funnel[(channel, metric)] += 1
        if series and metric in SERIES_METRICS:
            tally.series[(occurred_at.date(), channel, metric)] += 1
    query = (select(Response.survey_version_id, Answer.question_id, Answer.value)
             .join(Answer, Answer.response_id == Response.id)
             .where(Response.survey_id == survey.id, Response.respondent_id.in_(people),
                    Response.responded_at.is_not(None)))
    query = _where_range(query, Response.responded_at, Response.channel, filters, start, end)
    questions = _questions_by_version(survey)
    for version_id, qid, value in db.session.execute(query):
        for bucket in counters.answer_buckets(questions[version_id].get(qid), value):
            tally.answers[(qid, bucket)] += 1
    return tally


def _where_range(query, at, channel, filters: StatsFilter, start: datetime | None, end: datetime | None):
    if start:
        query = query.where(at >= start)
    if end:
        query = query.where(at < end)
    if filters.channel:
        query = query.where(channel == filters.channel)
    return query


def _questions_by_version(survey: Survey) -> dict[int, dict[str, dict]]:
    rows = db.session.execute(select(SurveyVersion.id, SurveyVersion.definition)
                              .where(SurveyVersion.survey_id == survey.id))
    return {version_id: logic.questions_by_id(definition) for version_id, definition in rows}


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def shape(survey: Survey, tally: Tally, filters: StatsFilter) -> dict:
    """Shape tallied sums as CONTRACT §5's stats."""
    channels, totals = funnel_by_channel(tally.funnel, [filters.channel] if filters.channel else list(CHANNELS))
    return {
        "channels": channels,
        "totals": totals,
        "questions": {q["id"]: summarize_question(q, tally.answers) for q in all_questions(survey)},
        "offers": _offers(survey, tally.funnel),
    }


def funnel_by_channel(funnel: Counter, channels: list[str]) -> tuple[dict, dict]:
    """Shape (channel, metric) sums as each channel's funnel row and the totals over those channels."""
    rows = {}
    for channel in channels:
        row: dict[str, Any] = {metric: funnel[(channel, metric)] for metric in FUNNEL_METRICS}
        reached = funnel[(channel, REACHED[channel])]
        responded = funnel[(channel, "responded")]
        completed = funnel[(channel, "completed")]
        row.update(reached=reached, responded=responded, completed=completed,
                   response_rate=_rate(responded, reached), completion_rate=_rate(completed, responded))
        rows[channel] = row
    totals = {name: sum(row[name] for row in rows.values()) for name in ("reached", "responded", "completed")}
    totals["response_rate"] = _rate(totals["responded"], totals["reached"])
    return rows, totals


def summarize_question(question: dict, answers: Counter) -> dict:
    """Summarize the answers to one question from its buckets."""
    qid, kind = question["id"], question["type"]
    answered = answers[(qid, counters.ANSWERED)]
    out: dict[str, Any] = {"type": kind, "answered": answered}
    if kind == "nps":
        distribution = {str(v): answers[(qid, str(v))] for v in range(11)}
        promoters = distribution["9"] + distribution["10"]
        passives = distribution["7"] + distribution["8"]
        detractors = sum(distribution[str(v)] for v in range(7))
        out.update(distribution=distribution, score=nps_score(promoters, detractors, answered),
                   promoters=promoters, passives=passives, detractors=detractors)
    elif kind == "likert":
        distribution = {str(v): answers[(qid, str(v))] for v in range(1, question.get("scale", 5) + 1)}
        total = sum(int(v) * n for v, n in distribution.items())
        out.update(distribution=distribution, mean=total / answered if answered else None)
    elif kind == "multiple_choice":
        distribution = {c["id"]: answers[(qid, c["id"])] for c in question["choices"]}
        if question.get("allow_other"):
            distribution[logic.OTHER] = answers[(qid, logic.OTHER)]
        for (other_qid, bucket), n in sorted(answers.items()):  # choices only older versions had
            if other_qid == qid and bucket != counters.ANSWERED and bucket not in distribution and n:
                distribution[bucket] = n
        out["distribution"] = distribution
    elif kind == "yes_no":
        yes, no = answers[(qid, "true")], answers[(qid, "false")]
        # `distribution` as every closed type has it; `yes` and `no` stay for existing readers.
        out.update(distribution={"yes": yes, "no": no}, yes=yes, no=no)
    return out


def nps_score(promoters: int, detractors: int, answered: int) -> float | None:
    """Return the NPS score, 100 × (promoters − detractors) / answered; None when no one answered."""
    return 100 * (promoters - detractors) / answered if answered else None


def _offers(survey: Survey, funnel: Counter) -> dict:
    ids: list[str] = []
    for definition in _definitions(survey):
        ids += [o["id"] for o in definition.get("offers", []) if o["id"] not in ids]
    ids += sorted({m.split(":", 1)[1] for _, m in funnel if m.startswith("offer_shown:")} - set(ids))
    out = {}
    for offer in ids:
        shown = sum(n for (_, m), n in funnel.items() if m == f"offer_shown:{offer}")
        accepted = sum(n for (_, m), n in funnel.items() if m == f"offer_accepted:{offer}")
        out[offer] = {"shown": shown, "accepted": accepted, "save_rate": _rate(accepted, shown)}
    return out


def _definitions(survey: Survey) -> Iterator[dict]:
    yield survey.definition
    yield from db.session.execute(
        select(SurveyVersion.definition).where(SurveyVersion.survey_id == survey.id)
        .order_by(SurveyVersion.number.desc())
    ).scalars()


def _series(tally: Tally, filters: StatsFilter, interval: str) -> dict:
    days = [day for day, _, _ in tally.series]
    # The series spans from..to; an end not given is the first or last day with data.
    first = filters.date_from or (min(days) if days else filters.date_to)
    last = filters.date_to or (max(days) if days else filters.date_from)
    if first is None or last is None or last < first:
        return {"interval": interval, "points": []}
    step = 7 if interval == "week" else 1
    if interval == "week":
        first = first - timedelta(days=first.weekday())
    if (last - first).days // step + 1 > MAX_SERIES_POINTS:
        raise Invalid(f"The series would have more than {MAX_SERIES_POINTS} points.",
                      {"interval": "too many points: use week, or narrow from and to"})
    buckets: Counter = Counter()
    for (day, channel, metric), n in tally.series.items():
        start = day - timedelta(days=day.weekday()) if interval == "week" else day
        buckets[(start, channel, metric)] += n
    points = []
    channels = [filters.channel] if filters.channel else list(CHANNELS)
    start = first
    while start <= last:
        per_channel = {}
        for channel in channels:
            reached = buckets[(start, channel, REACHED[channel])]
            responded = buckets[(start, channel, "responded")]
            per_channel[channel] = {"reached": reached, "responded": responded,
                                    "completed": buckets[(start, channel, "completed")],
                                    "response_rate": _rate(responded, reached)}
        points.append({"start": start.isoformat(), "channels": per_channel})
        start += timedelta(days=step)
    return {"interval": interval, "points": points}


def rebuild_counters(survey: Survey) -> None:
    """Recount a survey's counters from its raw rows (after changing STATS_ATTRIBUTES, or to repair).

    Its theme counters are recounted by the next listing of each question's themes.
    """
    counters.mark_themes_uncounted([survey.id])
    db.session.execute(delete(FunnelCounter).where(FunnelCounter.survey_id == survey.id))
    db.session.execute(delete(AnswerCounter).where(AnswerCounter.survey_id == survey.id))
    by_response, by_invitation = aliased(Respondent), aliased(Respondent)
    events = (
        select(Event.channel, Event.type, Event.data, Event.occurred_at, by_response.id,
               by_response.attributes, by_invitation.attributes)
        .outerjoin(Response, Response.id == Event.response_id)
        .outerjoin(by_response, by_response.id == Response.respondent_id)
        .outerjoin(Invitation, Invitation.id == Event.invitation_id)
        .outerjoin(by_invitation, by_invitation.id == Invitation.respondent_id)
        .where(Event.survey_id == survey.id, Event.channel.is_not(None))
        .execution_options(yield_per=5000)
    )
    for channel, type_, data, occurred_at, person, own, invited in db.session.execute(events):
        segments = counters.counted_segments(own if person is not None else invited)
        counters.add_event(survey.id, channel, occurred_at.date(), counters.funnel_metric(type_, data), segments)
    questions = _questions_by_version(survey)
    answers = (
        select(Response.channel, Response.responded_at, Response.survey_version_id, Respondent.attributes,
               Answer.question_id, Answer.value)
        .join(Answer, Answer.response_id == Response.id)
        .outerjoin(Respondent, Respondent.id == Response.respondent_id)
        .where(Response.survey_id == survey.id, Response.responded_at.is_not(None))
        .execution_options(yield_per=5000)
    )
    for channel, responded_at, version_id, attributes, qid, value in db.session.execute(answers):
        segments = [counters.EVERYONE, *counters.counted_segments(attributes)]
        counters.add_answer(survey.id, channel, responded_at.date(), questions[version_id].get(qid), qid, value,
                            segments)
