"""The event record every state change writes, in the same transaction as the change.

`record_events` is the one door: every event, one or a hundred thousand, is inserted, counted in the
stats counters and has its webhooks queued there. Nothing else inserts Event rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from .bulk import insert_rows
from .counters import count_events
from .delivery.webhooks import enqueue_for_event
from .extensions import db
from .models import EVENT_TYPES, Event, Invitation
from .models.types import utcnow


@dataclass(frozen=True)
class NewEvent:
    """An event to record: what happened, and the survey, channel, response or invitation it concerns."""

    type: str
    survey_id: int | None = None
    channel: str | None = None
    response_id: int | None = None
    invitation_id: int | None = None
    data: dict = field(default_factory=dict)
    # When it happened, if not now: only for history recorded after the fact (the demo's twelve weeks).
    at: datetime | None = None


def record_event(org_id: int, type: str, *, survey_id: int | None = None, channel: str | None = None,
                 response_id: int | None = None, invitation_id: int | None = None,
                 data: dict | None = None) -> None:
    """Record one event of the org (see record_events; the caller commits)."""
    record_events(org_id, [NewEvent(type, survey_id, channel, response_id, invitation_id, data or {})])


def record_events(org_id: int, events: Sequence[NewEvent]) -> None:
    """Add events to the current transaction, count them in the stats, queue their webhooks (the caller commits).

    One multi-row INSERT however many there are, so bulk invitations cost no more than they did
    before they were counted.
    """
    if not events:
        return
    unknown = sorted({e.type for e in events} - set(EVENT_TYPES))
    if unknown:
        raise ValueError(f"unknown event type {unknown[0]!r}")
    now = utcnow()
    rows = [{"org_id": org_id, "type": e.type, "survey_id": e.survey_id, "channel": e.channel,
             "response_id": e.response_id, "invitation_id": e.invitation_id, "data": e.data, "occurred_at": e.at or now}
            for e in events]
    insert_rows(Event, rows)
    count_events(rows)
    for e in events:
        enqueue_for_event(org_id, e.type, survey_id=e.survey_id, channel=e.channel, response_id=e.response_id,
                          invitation_id=e.invitation_id, data=e.data)


def record_invitation_failed(invitation_id: int, reason: str) -> None:
    """Record the "failed" event of an invitation that failed for good (the delivery engine calls this)."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is not None:
        record_event(invitation.org_id, "failed", survey_id=invitation.survey_id, channel=invitation.channel,
                     invitation_id=invitation.id, data={"reason": reason[:200]})
