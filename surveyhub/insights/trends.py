"""Insights over time (issue 14 item 5): date presets, deltas against the previous period, series.

Every figure comes from stats.survey_stats (the funnel is counted once, there); this module chooses the
periods, compares them, and reads the NPS per week from the answer counters.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import func, select

from .. import counters
from ..extensions import db
from ..models import CHANNELS, AnswerCounter, FunnelCounter, Survey
from . import stats
from .export import all_questions

PRESETS = (7, 30, 90)
DEFAULT_PRESET = 30
DAILY_UP_TO = 14  # periods of up to two weeks are drawn per day, longer ones per week
SERIES_METRICS = ("responded", *sorted(set(stats.REACHED.values())))


@dataclass(frozen=True)
class Period:
    """UTC days from `start` to `end`, both included; `preset` is the number of days or "custom"."""

    start: date
    end: date
    preset: str

    @property
    def days(self) -> int:
        """Return the period's length in days."""
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """Return the period of the same length that ends the day before this one starts."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end, self.preset)


def choose_period(preset: str | None, date_from: date | None, date_to: date | None, today: date) -> Period:
    """Return the period a page asks for: a preset of days ending today, or custom from/to (default 30 days).

    A custom range with one end missing runs 30 days from or to the end given.
    """
    if preset != "custom" and not (preset is None and (date_from or date_to)):
        days = int(preset) if preset and preset.isdigit() and int(preset) in PRESETS else DEFAULT_PRESET
        return Period(today - timedelta(days=days - 1), today, str(days))
    span = timedelta(days=DEFAULT_PRESET - 1)
    start = date_from or (date_to - span if date_to else today - span)
    end = date_to or min(start + span, max(today, start))
    return Period(start, end, "custom")


def survey_trends(survey: Survey, filters: stats.StatsFilter, period: Period) -> dict:
    """Return the period's stats with a series, the previous period's headline figures and the deltas."""
    interval = "day" if period.days <= DAILY_UP_TO else "week"
    current = stats.survey_stats(survey, replace(filters, date_from=period.start, date_to=period.end), interval)
    before = period.previous()
    previous = stats.survey_stats(survey, replace(filters, date_from=before.start, date_to=before.end),
                                  cascades=False)
    nps_id = nps_question(survey)
    now, then = headline(current, nps_id), headline(previous, nps_id)
    has_previous = previous["totals"]["reached"] > 0 or previous["totals"]["responded"] > 0
    return {
        "period": period, "previous_period": before, "interval": interval, "stats": current,
        "headline": {name: compare(now[name], then[name], has_previous, name != "responded"
                                   and name != "completed") for name in now},
        "nps_question": nps_id,
        "nps_series": nps_series(survey, filters, period, interval, nps_id) if nps_id else [],
    }


def nps_question(survey: Survey) -> str | None:
    """Return the id of the survey's first NPS question, if it has one."""
    return next((q["id"] for q in all_questions(survey) if q["type"] == "nps"), None)


def headline(data: dict, nps_id: str | None) -> dict[str, float | int | None]:
    """Pick the headline figures out of stats: rates as percentages, counts, and the NPS score."""
    def pct(rate: float | None) -> float | None:
        return None if rate is None else 100 * rate

    out: dict[str, float | int | None] = {"response_rate": pct(data["totals"]["response_rate"])}
    out.update({f"response_rate.{c}": pct(row["response_rate"]) for c, row in data["channels"].items()})
    out.update(responded=data["totals"]["responded"], completed=data["totals"]["completed"])
    if nps_id is not None:
        out["nps"] = data["questions"][nps_id]["score"]
    return out


def compare(value: float | int | None, before: float | int | None, has_previous: bool, points: bool) -> dict:
    """Return a figure with its change from the previous period (`delta` None when there is nothing to compare)."""
    delta = value - before if has_previous and value is not None and before is not None else None
    direction = None if delta is None else "up" if delta > 0 else "down" if delta < 0 else "flat"
    return {"value": value, "previous": before if has_previous else None, "delta": delta,
            "direction": direction, "unit": "points" if points else "count", "has_previous": has_previous}


def nps_series(survey: Survey, filters: stats.StatsFilter, period: Period, interval: str, nps_id: str) -> list[dict]:
    """Return the NPS score per day or week of the period, from the answer counters ([] for a scanned filter)."""
    segment = stats.counted_segment(filters)
    if segment is None:
        return []  # an unindexed attribute filter: the counters can't answer it per day
    where = [AnswerCounter.survey_id == survey.id, AnswerCounter.segment == segment,
             AnswerCounter.question_id == nps_id, AnswerCounter.day >= period.start, AnswerCounter.day <= period.end]
    if filters.channel:
        where.append(AnswerCounter.channel == filters.channel)
    rows = db.session.execute(select(AnswerCounter.day, AnswerCounter.bucket, func.sum(AnswerCounter.count))
                              .where(*where).group_by(AnswerCounter.day, AnswerCounter.bucket))
    buckets: Counter = Counter()
    for day, bucket, n in rows:
        buckets[(_bucket_start(day, interval), bucket)] += int(n)
    out = []
    start = _bucket_start(period.start, interval)
    while start <= period.end:
        answered = buckets[(start, counters.ANSWERED)]
        promoters = buckets[(start, "9")] + buckets[(start, "10")]
        detractors = sum(buckets[(start, str(v))] for v in range(7))
        out.append({"start": start.isoformat(), "answered": answered,
                    "score": stats.nps_score(promoters, detractors, answered)})
        start += timedelta(days=1 if interval == "day" else 7)
    return out


def _bucket_start(day: date, interval: str) -> date:
    return day if interval == "day" else day - timedelta(days=day.weekday())


def list_rates(survey_ids: list[int]) -> dict[int, tuple[dict, dict]]:
    """Return each survey's funnel rows and totals (all time, everyone) in one grouped counter query."""
    tallies: dict[int, Counter] = {sid: Counter() for sid in survey_ids}
    if survey_ids:
        rows = db.session.execute(
            select(FunnelCounter.survey_id, FunnelCounter.channel, FunnelCounter.metric, func.sum(FunnelCounter.count))
            .where(FunnelCounter.survey_id.in_(survey_ids), FunnelCounter.segment == counters.EVERYONE,
                   FunnelCounter.metric.in_(SERIES_METRICS + ("completed",)))
            .group_by(FunnelCounter.survey_id, FunnelCounter.channel, FunnelCounter.metric))
        for survey_id, channel, metric, n in rows:
            tallies[survey_id][(channel, metric)] += int(n)
    return {sid: stats.funnel_by_channel(tally, list(CHANNELS)) for sid, tally in tallies.items()}

