"""Stats counters, kept in the same transaction as the events and answers they count.

A counter row holds a partial count for one survey, segment, UTC day and channel; the stats of any
date range are sums over these rows, so their cost depends on the days asked for, not on the number of
responses. `segment` is "" for everyone, or "KEY=VALUE" for an indexed respondent attribute.
Each count is spread over a few `shard` rows so that concurrent writers rarely wait on one row lock.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model


class FunnelCounter(Model):
    """Events of one type (or "offer_shown:OFFER_ID") for a survey, segment, day and channel."""

    __tablename__ = "stats_funnel"

    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True)
    segment: Mapped[str] = mapped_column(String(255), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    metric: Mapped[str] = mapped_column(String(120), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class AnswerCounter(Model):
    """Answers to one question falling in one bucket (a value, a choice, or "#" for answered)."""

    __tablename__ = "stats_answers"

    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True)
    segment: Mapped[str] = mapped_column(String(255), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(120), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)



class ThemeCounter(Model):
    """Texts of one question in one theme (0: in none), written in one language, for a UTC day and channel.

    Kept by themes.placing as answers arrive and counted afresh by themes.store when a question is
    (re)grouped or edited; no segments (a listing filtered by an attribute reads the texts) and no
    shards (texts are few beside answers).
    """

    __tablename__ = "stats_themes"

    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    theme_id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
