"""The hosted survey page's unit of work: resolve a link, record the open, answer step by step.

Reading a page never creates a response or an answer (link scanners fetch every link in a mail);
the response starts with the first POST.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import links
from ..accounts.surveys import live_version
from ..errors import Conflict
from ..events import record_event
from ..extensions import db, rowcount
from ..models import Invitation, Response, Survey, SurveyVersion
from ..models.types import utcnow
from ..rules import survey as logic
from .answers import start_response

WHOLE_NUMBER = re.compile(r"[0-9]{1,2}")  # nps 0–10, likert 1–7


class LinkProblem(Exception):
    """Why a link can't be answered: "invalid", "expired" or "closed"."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


@dataclass
class Visit:
    """Someone on the hosted page: which survey version, on which channel, and their response so far."""

    survey: Survey
    version: SurveyVersion
    channel: str
    invitation: Invitation | None = None
    response: Response | None = None

    @property
    def definition(self) -> dict:
        return self.version.definition


def _live(survey: Survey | None) -> SurveyVersion:
    if survey is None:
        raise LinkProblem("invalid")
    try:
        return live_version(survey)
    except Conflict:
        raise LinkProblem("closed") from None


def signed_row(purpose: str, token: str, key: str, model):
    """Return the row a signed link names under `key`, and the link; LinkProblem("invalid") if none."""
    try:
        signed = links.read_token(purpose, token)
    except links.LinkInvalid:
        raise LinkProblem("invalid") from None
    row_id = signed.value.get(key)
    row = db.session.get(model, row_id) if isinstance(row_id, int) else None
    if row is None:
        raise LinkProblem("invalid")
    return row, signed


def visit_invitation(token: str) -> Visit:
    """Resolve an invitation's signed link; LinkProblem if tampered, expired or closed."""
    invitation, signed = signed_row(links.SURVEY, token, "i", Invitation)
    response = db.session.execute(select(Response).where(Response.invitation_id == invitation.id)).scalar_one_or_none()
    version = response.version if response else _live(invitation.survey)
    if signed.expired(timedelta(days=logic.setting(version.definition, "link_ttl_days"))):
        raise LinkProblem("expired")
    return Visit(invitation.survey, version, invitation.channel, invitation=invitation, response=response)


def visit_public(token: str, response_id: int | None) -> Visit:
    """Resolve a survey's public link, with the visitor's response if their session has one."""
    survey, _ = signed_row(links.PUBLIC, token, "s", Survey)
    response = None
    if response_id is not None:
        response = db.session.execute(
            select(Response).where(Response.id == response_id, Response.survey_id == survey.id,
                                   Response.channel == "web")
        ).scalar_one_or_none()
    version = response.version if response else _live(survey)
    return Visit(survey, version, "web", response=response)


def record_open(visit: Visit) -> None:
    """Count the first view of an invitation's page as "opened" (once, whoever views it). Commits."""
    if visit.invitation is None:
        return
    now = utcnow()
    first = rowcount(
        update(Invitation).where(Invitation.id == visit.invitation.id, Invitation.opened_at.is_(None))
        .values(opened_at=now).execution_options(synchronize_session=False)
    )
    if first:
        record_event(visit.invitation.org_id, "opened", survey_id=visit.survey.id, channel=visit.channel,
                     invitation_id=visit.invitation.id)
    db.session.commit()


def record_public_open(visit: Visit) -> None:
    """Count a public link's first view in a browser session as "opened" on the web channel. Commits."""
    record_event(visit.survey.org_id, "opened", survey_id=visit.survey.id, channel="web")
    db.session.commit()


def response_for_answering(visit: Visit) -> Response:
    """Return the visit's response, starting it now (the first answer's POST) if there is none."""
    if visit.response is not None:
        return visit.response
    respondent = visit.invitation.respondent if visit.invitation else None
    try:
        response = start_response(visit.survey, visit.channel, respondent=respondent, invitation=visit.invitation)
        db.session.commit()
    except IntegrityError:  # the same invitation's first answer arrived twice at once
        if visit.invitation is None:  # only an invitation's response is unique
            raise
        db.session.rollback()
        response = db.session.execute(
            select(Response).where(Response.invitation_id == visit.invitation.id)
        ).scalar_one()
    visit.response = response
    return response


def parse_form_answer(question: dict, values: list[str], other_text: str | None) -> tuple[Any, str | None]:
    """Turn the page's form values into an answer value for `question`; AnswerError if unusable."""
    kind = question["type"]
    if kind == "multiple_choice" and question.get("multiple"):
        value: Any = values
        chosen = value
    else:
        value = values[0] if values else ""
        value = value.strip() if kind != "open" else value
        chosen = [value]
    if value in ("", []):
        if kind == "open":
            raise logic.AnswerError("value", "must not be empty", "empty")
        raise logic.AnswerError("value", "choose an answer", "choose")
    if kind in ("nps", "likert"):
        if not WHOLE_NUMBER.fullmatch(value):  # ASCII digits only: "²" or "٣" are not scale points
            raise logic.AnswerError("value", "must be a whole number", "choose")
        value = int(value)
    elif kind == "yes_no":
        if value not in ("yes", "no"):
            raise logic.AnswerError("value", "must be yes or no", "yes_or_no")
        value = value == "yes"
    return value, other_text if logic.OTHER in chosen else None


def one_click_value(question: dict, raw: str | None) -> Any:
    """Read a one-click link's `?v=` for the first question; None if absent or not a valid value."""
    if raw is None:
        return None
    try:
        value, _ = parse_form_answer(question, [raw], None)
        return logic.validate_answer(question, value).value
    except logic.AnswerError:
        return None
