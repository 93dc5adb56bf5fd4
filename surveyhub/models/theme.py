"""Themes of the open answers (and "other" texts) of one question, and which answer is in which.

A question's `ThemeModel` holds the last full grouping (the grouping module's JSON), from which a new
answer is assigned; its `slots` map each of the grouping's themes to the stored `Theme` that receives
the answers assigned to it (after a merge, two slots name one theme). `ThemeAnswer` is one answer's
place; `pinned` marks a place a manager chose (a move, a split), which a regrouping keeps.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import JSONType, UTCDateTime, utcnow


class ThemeModel(Model):
    """The last full grouping of one question's texts."""

    __tablename__ = "theme_models"
    __table_args__ = (UniqueConstraint("survey_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(100))
    # Grouping.to_json() of the last full grouping.
    model: Mapped[dict] = mapped_column(JSONType)
    # Grouping theme index → Theme id (None: that theme has no stored row any more).
    slots: Mapped[list] = mapped_column(JSONType, default=list)
    # How many usable texts the last full grouping saw: the measure of "enough has changed".
    grouped_count: Mapped[int] = mapped_column(default=0)
    grouped_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Whether the question's theme counters (stats_themes) hold its texts; False makes the next listing
    # count them afresh (after an erasure, a stats rebuild, or the migration that added the counters).
    counted: Mapped[bool] = mapped_column(default=False)


class Theme(Model):
    __tablename__ = "themes"
    # Theme ids are the API's: SQLite must not hand a merged-away theme's id to the next one.
    __table_args__ = (Index("ix_themes_survey_question", "survey_id", "question_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(100))
    # The automatic label: the grouping's most telling words.
    label: Mapped[str] = mapped_column(String(200))
    # The labels ({locale: label}) of the survey choice this theme matches: shown, in the reader's
    # language, instead of `label`.
    choice_labels: Mapped[dict | None] = mapped_column(JSONType)
    # The manager's rename; shown before anything else.
    custom_label: Mapped[str | None] = mapped_column(String(200))
    # When the team marked what this theme is about as fixed (the theme campaign).
    addressed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ThemeAnswer(Model):
    """One answer's theme."""

    __tablename__ = "theme_answers"
    # A theme's answers, newest last: the listing's examples.
    __table_args__ = (Index("ix_theme_answers_theme_answer", "theme_id", "answer_id"),)

    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("themes.id", ondelete="CASCADE"))
    # The language the text was written in (the grouping's language_of), for the per-language counts.
    language: Mapped[str] = mapped_column(String(16))
    # A manager put it here: regrouping leaves it in this theme.
    pinned: Mapped[bool] = mapped_column(default=False)
