"""Who is in a theme: its answers, with the response (and so the person) each belongs to."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..extensions import db
from ..insights.open_answers import answer_text
from ..models import Answer, Response, Theme, ThemeAnswer


@dataclass(frozen=True)
class Member:
    answer_id: int
    response_id: int
    text: str
    language: str
    pinned: bool


def members(theme: Theme) -> list[Member]:
    """Return the answers in `theme`, oldest first, each with its response id, text and language."""
    shown = func.coalesce(Answer.other_text, answer_text(db.session.get_bind().dialect.name))
    rows = db.session.execute(
        select(Answer.id, Answer.response_id, shown, ThemeAnswer.language, ThemeAnswer.pinned)
        .join(ThemeAnswer, ThemeAnswer.answer_id == Answer.id)
        .join(Response, Response.id == Answer.response_id)
        .where(ThemeAnswer.theme_id == theme.id, Response.org_id == theme.org_id)
        .order_by(Answer.id)
    )
    return [Member(*row) for row in rows]
