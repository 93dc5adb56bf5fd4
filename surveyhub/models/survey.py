"""Survey definitions: a working draft and its frozen, numbered published versions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .org import Org
from .types import JSONType, UTCDateTime, utcnow


class Survey(Model):
    __tablename__ = "surveys"
    __table_args__ = (UniqueConstraint("org_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    # The working copy: what PUT writes and publish freezes.
    definition: Mapped[dict] = mapped_column(JSONType)
    # Number of the newest published version; None until first published.
    latest_version: Mapped[int | None]
    # True when the working copy differs from the newest published version.
    has_unpublished_changes: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Org] = relationship()
    versions: Mapped[list[SurveyVersion]] = relationship(
        back_populates="survey", order_by="SurveyVersion.number", cascade="all, delete-orphan"
    )

    @property
    def status(self) -> str:
        """Return "archived", "published" (a version is live) or "draft"."""
        if self.archived_at is not None:
            return "archived"
        return "published" if self.latest_version is not None else "draft"


class SurveyVersion(Model):
    """A published definition, frozen: responses point at the version they answered."""

    __tablename__ = "survey_versions"
    __table_args__ = (UniqueConstraint("survey_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    number: Mapped[int]
    definition: Mapped[dict] = mapped_column(JSONType)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    survey: Mapped[Survey] = relationship(back_populates="versions")
