"""The security log: who rotated which secret of an org, and when. Never the secrets themselves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import BigIntPK, JSONType, UTCDateTime, utcnow

# What an audit entry may record.
AUDIT_ACTIONS = (
    "api_key.rotated", "widget_key.rotated", "signing_secret.rotated", "webhook_secret.rotated",
    "password.changed",
)


class AuditEntry(Model):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_org_id_id", "org_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(40))
    # Who did it: "command line", or the API key's public prefix.
    actor: Mapped[str] = mapped_column(String(200))
    # What it was done to: a manager's email, a webhook endpoint, a key's public prefix.
    subject: Mapped[str | None] = mapped_column(String(2100))
    # Non-secret facts, such as when the old secret stops working.
    detail: Mapped[dict] = mapped_column(JSONType, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
