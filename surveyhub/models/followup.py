"""Follow-ups (CONTRACT §10): a response a manager should act on, and where that stands.

One row per response and reason ("detractor", or the id of a survey rule in `follow_ups`). Notes
are kept on the row as a list of {"text", "author", "at"}: they are only ever read with their
follow-up, and an append-only list is the audit of what was said.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .org import User
from .response import Response
from .types import JSONType, UTCDateTime, utcnow

FOLLOW_UP_STATUSES = ("open", "contacted", "resolved")


class FollowUp(Model):
    __tablename__ = "follow_ups"
    __table_args__ = (
        UniqueConstraint("response_id", "reason"),
        Index("ix_follow_ups_survey_status", "survey_id", "status", "id"),
        Index("ix_follow_ups_owner_status", "owner_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="open")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    notes: Mapped[list] = mapped_column(JSONType, default=list)
    due: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User | None] = relationship()
    response: Mapped[Response] = relationship()
