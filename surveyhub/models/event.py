"""The event record: one row per state change, append-only, for stats and audit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import BigIntPK, JSONType, UTCDateTime, utcnow

# What an event may say happened. Channels add their own as they arrive.
EVENT_TYPES = (
    "invited", "sent", "delivered", "failed", "opened", "displayed", "dismissed",
    "responded", "completed", "offer_shown", "offer_accepted", "offer_declined",
    "unsubscribed", "opted_out", "opted_in", "erased",
)


class Event(Model):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_survey_type_time", "survey_id", "type", "occurred_at"),
        # A person's events, found through their responses and invitations (erasure, attribute stats).
        Index("ix_events_response_id", "response_id"),
        Index("ix_events_invitation_id", "invitation_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    channel: Mapped[str | None] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(32))
    # Plain ids, not foreign keys: the record outlives erased responses and invitations.
    response_id: Mapped[int | None]
    invitation_id: Mapped[int | None]
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
