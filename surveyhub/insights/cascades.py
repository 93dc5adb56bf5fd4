"""Cascade stats (CONTRACT §9): how many people each step of a cascade won, and where the rest stopped.

Read from the raw rows in two GROUP BY queries whatever the number of cascades or steps: the cascades
the filters choose, their steps (invitation rows with `cascade_id`, `step`), and their person's
responses, joined by correlated subqueries on indexed columns (`invitations.cascade_id`,
`responses.respondent_id`), which no misjudged join order can turn into a product of the tables.
docs/stats.md says what each figure counts.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import aliased

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
    chosen = select(Cascade.id).where(*where)

    # 1. Steps sent while their person had not answered yet (the ones each step could still win).
    sent: Counter = Counter()
    rows = db.session.execute(
        select(Invitation.step, Invitation.channel, func.count())
        .where(Invitation.cascade_id.in_(chosen), Invitation.sent_at.is_not(None))
        .where(Invitation.sent_at <= func.coalesce(_first_answer(survey, Invitation), Invitation.sent_at))
        .group_by(Invitation.step, Invitation.channel)
    )
    for step, on, n in rows:
        sent[(step, on)] += n
    # 2. How each cascade stands: answered or not, the step its answer counts for (the last one sent
    # before it), its last step sent (None: none was). Per-cascade values come from correlated
    # subqueries on indexed columns, so the plan stays one pass over the chosen cascades.
    step_row = aliased(Invitation)
    answers = (select(Cascade.id, Cascade.status, _first_answer(survey, Cascade).label("at"))
               .where(*where).subquery())
    won_step = (select(func.max(step_row.step))
                .where(step_row.cascade_id == answers.c.id, step_row.sent_at <= answers.c.at).scalar_subquery())
    last_step = (select(func.max(step_row.step))
                 .where(step_row.cascade_id == answers.c.id, step_row.sent_at.is_not(None)).scalar_subquery())
    per_cascade = select(answers.c.status, answers.c.at.is_not(None).label("answered"), won_step.label("won"),
                         last_step.label("last")).subquery()
    won: Counter = Counter()
    standing: Counter = Counter()
    for status, was_answered, won_at, last, n in db.session.execute(
        select(per_cascade, func.count()).group_by(*per_cascade.c)
    ):
        if won_at is not None:
            won[won_at] += n
        standing[("responded" if was_answered else status, last)] += n
    return _shape(survey, channel, sent, won, standing)


def _first_answer(survey: Survey, row: Any) -> Any:
    """The first answer of a cascade's person to the survey since the cascade began (its first step row was
    made, in real time), on any channel: a correlated subquery for each `row` (a cascade or one of its steps).
    """
    cascade_id = row.id if row is Cascade else row.cascade_id
    began = aliased(Invitation)
    # Correlated to the outer row explicitly: nested two deep, auto-correlation would not reach it.
    start = (select(func.min(began.created_at)).where(began.cascade_id == cascade_id)
             .correlate_except(began).scalar_subquery())
    return (select(func.min(Response.responded_at))
            .where(Response.survey_id == survey.id, Response.respondent_id == row.respondent_id,
                   Response.responded_at >= start)
            .correlate_except(Response).scalar_subquery())


def _shape(survey: Survey, only: str | None, sent: Counter, won: Counter, standing: Counter) -> dict:
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
