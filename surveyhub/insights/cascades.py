"""Cascade stats (CONTRACT §9): how many people each step of a cascade won, and where the rest stopped.

Read from the raw rows in three GROUP BY queries whatever the number of cascades or steps: the cascades
the filters choose, their steps (invitation rows with `cascade_id`, `step`), and their person's
responses. docs/stats.md says what each figure counts.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from ..extensions import db
from ..models import Cascade, Invitation, Response, Survey

# How a cascade that was never answered stands; every started cascade is `responded` or one of these.
UNANSWERED = ("running", "exhausted", "cancelled")


def cascade_stats(survey: Survey, *, start: datetime | None = None, end: datetime | None = None,
                  channel: str | None = None, people: Select | None = None) -> dict:
    """Return `{"started", "responded", "running", "exhausted", "cancelled", "steps": [...]}` for the survey.

    Cascades started in [start, end) (UTC), of the people `people` selects (ids) if given; with `channel`,
    only the steps on that channel are listed (their figures still count the whole cascade).
    """
    where = [Cascade.survey_id == survey.id]
    if start is not None:
        where.append(Cascade.started_at >= start)
    if end is not None:
        where.append(Cascade.started_at < end)
    if people is not None:
        where.append(Cascade.respondent_id.in_(people))
    chosen = select(Cascade.id, Cascade.status, Cascade.respondent_id).where(*where).cte("chosen")
    # When the cascade began in real time (its first step's row): answers before it are not the cascade's.
    begun = (select(Invitation.cascade_id, func.min(Invitation.created_at).label("at"))
             .join(chosen, chosen.c.id == Invitation.cascade_id).group_by(Invitation.cascade_id).cte("begun"))
    # The person's first answer to the survey since the cascade began, on any channel.
    answered = (select(chosen.c.id, func.min(Response.responded_at).label("at"))
                .join(begun, begun.c.cascade_id == chosen.c.id)
                .join(Response, and_(Response.survey_id == survey.id, Response.respondent_id == chosen.c.respondent_id,
                                     Response.responded_at >= begun.c.at))
                .group_by(chosen.c.id).cte("answered"))
    sends = (select(Invitation.cascade_id, Invitation.step, Invitation.channel, Invitation.sent_at)
             .join(chosen, chosen.c.id == Invitation.cascade_id).where(Invitation.sent_at.is_not(None))
             .cte("sends"))

    # 1. Steps sent while their person had not answered yet (the ones each step could still win).
    sent: Counter = Counter()
    rows = db.session.execute(
        select(sends.c.step, sends.c.channel, func.count())
        .outerjoin(answered, answered.c.id == sends.c.cascade_id)
        .where(or_(answered.c.at.is_(None), sends.c.sent_at <= answered.c.at))
        .group_by(sends.c.step, sends.c.channel)
    )
    for step, on, n in rows:
        sent[(step, on)] += n
    # 2. Each answer counts for the last step sent before it.
    won_by = (select(sends.c.cascade_id, func.max(sends.c.step).label("step"))
              .join(answered, answered.c.id == sends.c.cascade_id).where(sends.c.sent_at <= answered.c.at)
              .group_by(sends.c.cascade_id).subquery())
    won = {step: n for step, n in db.session.execute(select(won_by.c.step, func.count()).group_by(won_by.c.step))}
    # 3. How each cascade stands, by its last step sent (None: none was).
    last = select(sends.c.cascade_id, func.max(sends.c.step).label("step")).group_by(sends.c.cascade_id).subquery()
    is_answered = answered.c.at.is_not(None)
    standing: Counter = Counter()
    for status, step, was_answered, n in db.session.execute(
        select(chosen.c.status, last.c.step, is_answered, func.count()).select_from(chosen)
        .outerjoin(last, last.c.cascade_id == chosen.c.id).outerjoin(answered, answered.c.id == chosen.c.id)
        .group_by(chosen.c.status, last.c.step, is_answered)
    ):
        standing[("responded" if was_answered else status, step)] += n
    return _shape(survey, channel, sent, won, standing)


def _shape(survey: Survey, only: str | None, sent: Counter, won: dict[int, int], standing: Counter) -> dict:
    started = sum(standing.values())
    out: dict[str, Any] = {"started": started}
    for how in ("responded", *UNANSWERED):
        out[how] = sum(n for (status, _), n in standing.items() if status == how)
    if not started:
        out["steps"] = []
        return out
    plan = [step["channel"] for step in ((survey.definition or {}).get("delivery") or {}).get("steps", [])]
    numbers = {step for step, _ in sent} | set(won) | {step for _, step in standing if step is not None}
    numbers |= set(range(1, len(plan) + 1))
    steps = []
    so_far = 0
    for number in sorted(numbers):
        planned = plan[number - 1] if number <= len(plan) else None
        channel = _channel(sent, number, planned)
        reached = sum(n for (step, _), n in sent.items() if step == number)
        responded = won.get(number, 0)
        so_far += responded
        steps.append({"step": number, "channel": channel, "sent": reached, "responded": responded,
                      "response_rate": responded / reached if reached else None,
                      "cumulative_response_rate": so_far / started,
                      "exhausted": standing[("exhausted", number)], "cancelled": standing[("cancelled", number)]})
    if only:
        steps = [step for step in steps if step["channel"] == only]
    out["steps"] = steps
    return out


def _channel(sent: Counter, number: int, planned: str | None) -> str:
    """The step's channel: the one most of its sends went on (cascades may differ), else the survey's plan's."""
    counts = {channel: n for (step, channel), n in sent.items() if step == number}
    if not counts:
        return planned or "email"
    return max(sorted(counts), key=lambda channel: (counts[channel], channel == planned))
