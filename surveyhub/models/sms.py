"""SMS conversations: the open session per phone, inbound messages (idempotent), outbound messages (a queue)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .queue import QueueMixin
from .types import BigIntPK, UTCDateTime, utcnow

# The provider's view of an outbound message, in order; "undelivered" and "failed" end it.
PROVIDER_STATUS_ORDER = {"queued": 0, "sent": 1, "delivered": 2, "undelivered": 3, "failed": 3}


class SmsSession(Model):
    """One person answering one invitation by SMS. At most one is open per phone number and org."""

    __tablename__ = "sms_sessions"
    __table_args__ = (
        Index("uq_sms_sessions_open_phone", "org_id", "phone", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    phone: Mapped[str] = mapped_column(String(32))  # E.164
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    # The version the first message asked from: the conversation keeps to it if the survey is
    # published again meanwhile (None only for sessions from before migration 0006).
    survey_version_id: Mapped[int | None] = mapped_column(ForeignKey("survey_versions.id"))
    # Made on the first answer, so a message that never went out leaves no response behind.
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id", ondelete="SET NULL"))
    locale: Mapped[str] = mapped_column(String(35))
    # The question last asked (None once the survey is over) and how often it was asked again.
    question_id: Mapped[str | None] = mapped_column(String(100))
    reasks: Mapped[int] = mapped_column(default=0)
    # open → completed | partial (gave up on a required question) | expired | opted_out
    status: Mapped[str] = mapped_column(String(16), default="open")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SmsInbound(Model):
    """A message received from Twilio; the unique MessageSid makes a retried webhook change nothing."""

    __tablename__ = "sms_inbound"
    __table_args__ = (UniqueConstraint("message_sid"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    message_sid: Mapped[str] = mapped_column(String(64))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sms_sessions.id", ondelete="SET NULL"))
    phone: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    # What the message was taken as: answer, reask, skip, keyword:stop, no_session, …
    outcome: Mapped[str] = mapped_column(String(32), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SmsMessage(QueueMixin, Model):
    """An outbound SMS: queued replies of a conversation, and a record of each invitation's first message."""

    __tablename__ = "sms_messages"
    __table_args__ = (
        Index("ix_sms_messages_queue", "status", "due_at"),
        Index("ix_sms_messages_phone", "org_id", "phone", "id"),
        UniqueConstraint("provider_message_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sms_sessions.id", ondelete="SET NULL"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"))
    phone: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    # question, reask, thanks, ended, help, opted_out, opted_in, invitation, expired
    purpose: Mapped[str] = mapped_column(String(16))
    encoding: Mapped[str] = mapped_column(String(8))  # GSM-7 or UCS-2
    segments: Mapped[int]
    provider_message_id: Mapped[str | None] = mapped_column(String(64))
    provider_status: Mapped[str | None] = mapped_column(String(16))
    error_code: Mapped[int | None]
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
