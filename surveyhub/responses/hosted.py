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
from . import answers as responses

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
    """Count the first view of an invitation's page as "opened" (once, whoever views it)."""
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


def record_public_open(visit: Visit) -> None:
    """Count a public link's first view in a browser session as "opened" on the web channel."""
    record_event(visit.survey.org_id, "opened", survey_id=visit.survey.id, channel="web")


def take_answer(visit: Visit, action: str, question: dict | None, values: list[str],
                other_text: str | None) -> responses.Progress:
    """Carry out one POST of the page — "next" (answer), "skip" or "finish" — and complete the
    response when nothing is left to ask; return where the response stands.

    Everything is checked before the first write: a refused answer (logic.AnswerError) starts no
    response. The visit's response is locked first, so the answer is checked against the answers it
    replaces; the first POST starts the response (`visit.response` is it once all is done).
    """
    response = responses.lock_response(visit.response.id) if visit.response is not None else None
    answers = response.answer_values() if response is not None else {}
    clean = skipped = None  # "next" checks an answer, "skip" a question to skip; "finish" neither
    if action == "next" and question is not None:
        value, other_text = parse_form_answer(question, values, other_text)
        clean = logic.check_answer(visit.definition, answers, question["id"], value, other_text)
    elif action == "skip" and question is not None:
        if logic.is_required(question):
            raise logic.AnswerError("value", "is required", "required")
        responses.check_skip(visit.definition, answers, question["id"])
        skipped = question["id"]
    if response is None:
        response = _start_response(visit)
    if skipped is not None:
        responses.skip_checked_question(response, skipped)
        state = responses.progress(response, answers)
    elif clean is not None:
        state = responses.progress(response, responses.save_checked_answer(response, clean))
    else:
        state = responses.progress(response, answers)
    responses.complete_if_done(state)
    visit.response = response
    return state


def _start_response(visit: Visit) -> Response:
    """Start the visit's response (its first answer's POST), locked for this transaction."""
    respondent = visit.invitation.respondent if visit.invitation else None
    try:
        with db.session.begin_nested():
            return responses.start_response(visit.survey, visit.channel, respondent=respondent,
                                            invitation=visit.invitation)
    except IntegrityError:  # the same invitation's first answer arrived twice at once: answer the one started
        if visit.invitation is None:  # only an invitation's response is unique
            raise
        started = db.session.execute(
            select(Response.id).where(Response.invitation_id == visit.invitation.id)).scalar_one()
        return responses.lock_response(started)


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
