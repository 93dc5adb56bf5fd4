"""Cascades (CONTRACT §9): one person asked one survey on several channels in turn, until they answer.

Each step is an invitation row (`Invitation.cascade_id`, `Invitation.step`) made when it comes up, so
the per-channel funnel counts it in its own channel; this row holds the plan and where it stands.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import JSONType, UTCDateTime, utcnow

# How a cascade ends: running until its person answers (responded), its steps run out (exhausted),
# or its survey is archived or its person erased (cancelled).
CASCADE_STATUSES = ("running", "responded", "exhausted", "cancelled")


class Cascade(Model):
    __tablename__ = "cascades"
    __table_args__ = (
        Index("ix_cascades_survey_respondent", "survey_id", "respondent_id", "status"),
        # The fatigue cap looks an address up across the org (these also serve org_id alone).
        Index("ix_cascades_org_email", "org_id", "email"),
        Index("ix_cascades_org_phone", "org_id", "phone"),
        # The cascades whose sent step still waits for the next one to be made (few at any time).
        Index("ix_cascades_advance_due", "advance_due", postgresql_where=text("advance_due IS NOT NULL"),
              sqlite_where=text("advance_due IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    # Set to None when the person is erased (the cascade is cancelled then).
    respondent_id: Mapped[int | None] = mapped_column(ForeignKey("respondents.id", ondelete="SET NULL"),
                                                      index=True)
    # The person's normalised addresses, as given when it started; None where missing or invalid.
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    # [{"channel": "email" | "sms", "wait_hours": 0–720}, …], frozen when it started.
    steps: Mapped[list] = mapped_column(JSONType)
    stop_on: Mapped[str] = mapped_column(String(16), default="responded")
    status: Mapped[str] = mapped_column(String(16), default="running")
    # The step (1-based) whose invitation exists now; the next one is made when it is sent or skipped.
    current_step: Mapped[int] = mapped_column(default=1)
    # When its last step was sent (None before the first): the next step's wait counts from it.
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when a step is sent: its next step is made in bulk after the worker's batch (or by the sweep,
    # if the worker died first), and this is cleared then. None otherwise.
    advance_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
