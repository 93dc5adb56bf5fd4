"""Invitations: one survey sent to one respondent on one channel. The table is also the send queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, case
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .queue import QueueMixin
from .respondent import Respondent
from .survey import Survey
from .types import JSONType, UTCDateTime, utcnow

# The channels invitations can be sent on (each has a job kind in the delivery engine).
INVITATION_CHANNELS = ("email", "sms")

# The delivery lifecycle, in order. A status only ever moves forward (late, out-of-order provider
# callbacks must not undo a later state); "failed" and "cancelled" end it. "queued" → "sending" is the
# worker's claim, and a released or retried claim goes back to "queued".
# A cascade's step that could not be sent (no usable address) is "skipped", which ends it too.
STATUS_ORDER = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "failed": 4, "cancelled": 4, "skipped": 4}


class Invitation(QueueMixin, Model):
    __tablename__ = "invitations"
    __table_args__ = (
        Index("ix_invitations_queue", "status", "due_at"),
        Index("ix_invitations_survey_address", "survey_id", "address"),
        # The fatigue cap and opt-outs look an address up across the org (and serve org_id alone).
        Index("ix_invitations_org_address", "org_id", "address"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    # Set to None when the person is erased: the invitation stays for the funnel, anonymous.
    respondent_id: Mapped[int | None] = mapped_column(
        ForeignKey("respondents.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    # Where it goes (normalised email or E.164 phone), kept as sent; erased with the person.
    address: Mapped[str | None] = mapped_column(String(320))
    # The time the sender asked for (reported as-is); due_at moves with retries.
    send_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    meta: Mapped[dict] = mapped_column("metadata", JSONType, default=dict)
    # A cascade's step (models/cascade.py): its cascade and its place in the plan (1-based); else None.
    cascade_id: Mapped[int | None] = mapped_column(ForeignKey("cascades.id", ondelete="CASCADE"), index=True)
    step: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    respondent: Mapped[Respondent | None] = relationship()
    survey: Mapped[Survey] = relationship()

    def can_move_to(self, status: str) -> bool:
        """Tell whether the lifecycle allows going from the current status to `status`."""
        if self.status in ("failed", "cancelled", "skipped"):
            return False
        return STATUS_ORDER[status] > STATUS_ORDER[self.status]


# When an invitation started waiting to go out: the time asked for, or its creation if that was later
# (the delivery engine counts giving up from it).
QUEUED_SINCE = case((Invitation.send_at > Invitation.created_at, Invitation.send_at),
                               else_=Invitation.created_at)
