"""Responses (one person answering one survey version on one channel) and their answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .respondent import Respondent
from .survey import SurveyVersion
from .types import JSONType, UTCDateTime, utcnow

CHANNELS = ("email", "sms", "widget", "web", "interview")


class Response(Model):
    __tablename__ = "responses"
    __table_args__ = (
        # A survey's responses by id; on PostgreSQL it also holds the columns the dashboard's filters
        # read (date, channel), so a page joining a few thousand answers to their responses reads no rows.
        Index("ix_responses_survey_id_id", "survey_id", "id", postgresql_include=["responded_at", "channel"]),
        Index("ix_responses_survey_updated", "survey_id", "updated_at"),
        # The abandon sweep's range: open widget visits (partial, not yet left) by their last write.
        Index("ix_responses_open_visits", "channel", "status", "left_at", "updated_at"),
        # One response per invitation: the hosted page resumes it rather than starting another.
        UniqueConstraint("invitation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"))
    respondent_id: Mapped[int | None] = mapped_column(
        ForeignKey("respondents.id", ondelete="CASCADE"), index=True
    )
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="partial")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # When the first answer arrived: a response with one is "responded" in the stats.
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a widget visit ended unfinished: dismissed, or found abandoned by the sweep. Set once, by a
    # conditional update, so that one visit starts at most one cascade (after_widget).
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    meta: Mapped[dict] = mapped_column("metadata", JSONType, default=dict)

    version: Mapped[SurveyVersion] = relationship(lazy="joined", innerjoin=True)
    respondent: Mapped[Respondent | None] = relationship(lazy="joined")
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", order_by="Answer.id", lazy="selectin"
    )

    def answer_values(self) -> dict[str, Any]:
        """Return the answers so far as question id → value, for branching."""
        return {a.question_id: a.value for a in self.answers}


class Answer(Model):
    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id"),
        # A question's answers across responses: the NPS group filter.
        Index("ix_answers_question_response", "question_id", "response_id"),
        # One survey's answers to a question, newest last: the open answers and the texts themes group.
        Index("ix_answers_survey_question_id", "survey_id", "question_id", "id"),
        # One survey's "other" texts, few among a choice question's answers, newest last.
        Index("ix_answers_survey_other_texts", "survey_id", "id",
              postgresql_where=text("other_text IS NOT NULL"), sqlite_where=text("other_text IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    # The response's survey, kept on the answer so that one survey's texts are read without the others'.
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(JSONType)
    other_text: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    response: Mapped[Response] = relationship(back_populates="answers")
