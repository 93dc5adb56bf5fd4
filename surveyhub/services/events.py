"""The event record every state change writes, in the same transaction as the change."""

from __future__ import annotations

from ..extensions import db
from ..models import EVENT_TYPES, Event, Invitation
from ..models.types import utcnow
from .counters import count_event
from .webhooks import enqueue_for_event


def record_event(org_id: int, type: str, *, survey_id: int | None = None, channel: str | None = None,
                 response_id: int | None = None, invitation_id: int | None = None,
                 data: dict | None = None) -> Event:
    """Add an event to the current transaction, count it in the stats, queue its webhooks (the caller commits)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    event = Event(org_id=org_id, type=type, survey_id=survey_id, channel=channel,
                  response_id=response_id, invitation_id=invitation_id, data=data or {}, occurred_at=utcnow())
    db.session.add(event)
    count_event(event)
    enqueue_for_event(org_id, type, survey_id=survey_id, channel=channel, response_id=response_id, data=event.data)
    return event


def record_invitation_failed(invitation_id: int, reason: str) -> None:
    """Record the "failed" event of an invitation that failed for good (the delivery engine calls this)."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is not None:
        record_event(invitation.org_id, "failed", survey_id=invitation.survey_id, channel=invitation.channel,
                     invitation_id=invitation.id, data={"reason": reason[:200]})
