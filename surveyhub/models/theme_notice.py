"""Closing the loop by theme: a manager's message about an addressed theme, and one notice per person.

`ThemeCampaign` is the message (its translations, default locale, optional link); `ThemeNotice` is one
person's copy of it and also the send queue (the delivery engine's "theme_notice" kind). A person who
can't or mustn't be told gets a notice too, "skipped" with its reason, so the campaign's counts add up.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .queue import QueueMixin
from .types import JSONType, UTCDateTime, utcnow


class ThemeCampaign(Model):
    __tablename__ = "theme_campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    # One campaign per theme: addressing a theme twice is a conflict.
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"), unique=True)
    # {locale: text}; always holds default_locale.
    message: Mapped[dict] = mapped_column(JSONType)
    default_locale: Mapped[str] = mapped_column(String(35))
    link: Mapped[str | None] = mapped_column(String(2000))
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ThemeNotice(QueueMixin, Model):
    """One person told (or skipped) by a campaign; status queued → sending → sent | failed | skipped."""

    __tablename__ = "theme_notices"
    __table_args__ = (
        UniqueConstraint("campaign_id", "respondent_id"),
        Index("ix_theme_notices_queue", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("theme_campaigns.id", ondelete="CASCADE"), index=True)
    # None for an anonymous answer (skipped: nobody to tell).
    respondent_id: Mapped[int | None] = mapped_column(ForeignKey("respondents.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(320))
    locale: Mapped[str | None] = mapped_column(String(35))
    # Why a skipped notice was not sent ("unsubscribed", "opted_out", "fatigue_cap", "no_address").
    reason: Mapped[str | None] = mapped_column(String(100))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
