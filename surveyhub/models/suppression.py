"""Addresses an org must not contact again on a channel: unsubscribed emails, opted-out phones."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class Suppression(Model):
    __tablename__ = "suppressions"
    __table_args__ = (UniqueConstraint("org_id", "channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    # Normalised: a lower-cased email, or an E.164 phone number.
    address: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
