"""Invitations: one survey sent to one respondent on one channel, and the queue that sends it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .respondent import Respondent
from .types import JSONType, UTCDateTime, utcnow

# The delivery lifecycle, in order. A status only ever moves forward (late, out-of-order provider
# callbacks must not undo a later state); "failed" and "cancelled" end it.
STATUS_ORDER = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "failed": 4, "cancelled": 4}


class Invitation(db.Model):
    __tablename__ = "invitations"
    __table_args__ = (
        # The worker's claim: due, unclaimed (or lease expired) rows in send order.
        Index("ix_invitations_due", "status", "send_at"),
        Index("ix_invitations_survey_respondent", "survey_id", "respondent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    # Set to None when the person is erased: the invitation stays for the funnel, anonymous.
    respondent_id: Mapped[int | None] = mapped_column(ForeignKey("respondents.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    send_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    meta: Mapped[dict] = mapped_column("metadata", JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    respondent: Mapped[Respondent | None] = relationship()

    def can_move_to(self, status: str) -> bool:
        """Tell whether the lifecycle allows going from the current status to `status`."""
        if self.status in ("failed", "cancelled"):
            return False
        return STATUS_ORDER[status] > STATUS_ORDER[self.status]
