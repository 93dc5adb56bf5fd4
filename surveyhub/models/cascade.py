"""Cascades (CONTRACT §9): one person asked one survey on several channels in turn, until they answer.

Each step is an invitation row (`Invitation.cascade_id`, `Invitation.step`) made when it comes up, so
the per-channel funnel counts it in its own channel; this row holds the plan and where it stands.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
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
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CascadeAdvance(Model):
    """A cascade's step that was sent, waiting for the cascade to move on to its next step.

    Written in the step's own commit; the next steps are made in bulk after the worker's batch (or by
    the sweep, if the worker died first), which deletes these rows. A row here, not a column of
    cascades: its insert and delete touch one small index, where setting and clearing a column of
    cascades would rewrite each of that table's indexes twice per step.
    """

    __tablename__ = "cascade_advances"

    cascade_id: Mapped[int] = mapped_column(ForeignKey("cascades.id", ondelete="CASCADE"), primary_key=True)
    step: Mapped[int]  # the step that was sent
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
