"""The people a survey is sent to or answered by."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import JSONType, UTCDateTime, utcnow


class Respondent(Model):
    __tablename__ = "respondents"
    __table_args__ = (
        UniqueConstraint("org_id", "external_id"),
        # Imports and the fatigue cap find people by address within the org. These and the unique
        # constraint start with org_id, so no index on org_id alone is offered to a planner that
        # misjudges a growing table (it scanned the whole org for each batch of an import).
        Index("ix_respondents_org_email", "org_id", "email"),
        Index("ix_respondents_org_phone", "org_id", "phone"),
        # Stats filters on attributes that have no counters find people by attribute (GIN, jsonb @>).
        Index("ix_respondents_attributes", "attributes", postgresql_using="gin",
              postgresql_ops={"attributes": "jsonb_path_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    # The customer's id in the org's own system; None for anonymous respondents.
    external_id: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))  # E.164
    locale: Mapped[str | None] = mapped_column(String(35))
    timezone: Mapped[str | None] = mapped_column(String(64))
    attributes: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
