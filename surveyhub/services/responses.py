"""The response engine every channel answers through: start, answer, branch, complete."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .. import survey_logic as logic
from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..models import Answer, Invitation, Respondent, Response, Survey
from ..models.types import utcnow
from .counters import count_answer_changes
from .events import record_event
from .pagination import decode_cursor, encode_cursor
from .respondents import find_or_create_respondent
from .surveys import live_version


@dataclass(frozen=True)
class Progress:
    """Where a response stands after an answer: the next question to ask, if any."""

    response: Response
    next_question: dict | None
    can_complete: bool


def start_response(survey: Survey, channel: str, *, respondent: Respondent | None = None,
                   invitation: Invitation | None = None, metadata: dict | None = None) -> Response:
    """Open a partial response on the survey's live version (the caller commits)."""
    version = live_version(survey)
    response = Response(answers=[],
        org_id=survey.org_id, survey_id=survey.id, survey_version_id=version.id, version=version,
        respondent_id=respondent.id if respondent else None,
        invitation_id=invitation.id if invitation else None,
        channel=channel, meta=metadata or {},
    )
    db.session.add(response)
    db.session.flush()
    return response


def progress(response: Response) -> Progress:
    """Tell the next visible unanswered question and whether the response may complete."""
    definition = response.version.definition
    answers = response.answer_values()
    skipped = response.meta.get("skipped", [])
    return Progress(response, logic.next_question(definition, answers, skipped),
                    not logic.missing_required(definition, answers))


def skip_question(response: Response, question_id: str) -> Progress:
    """Pass over a visible optional question without answering it. Commits."""
    if response.status == "completed":
        raise Conflict("The response is completed.", {"response": "is completed"})
    definition = response.version.definition
    visible = {q["id"]: q for q in logic.visible_questions(definition, response.answer_values())}
    if question_id not in visible:
        raise Invalid(f"{question_id!r} is not a question shown now.", {"question": "is not shown"})
    if logic.is_required(visible[question_id]):
        raise Invalid(f"{question_id!r} must be answered.", {"question": "is required"})
    skipped = response.meta.get("skipped", [])
    if question_id not in skipped:
        response.meta = {**response.meta, "skipped": [*skipped, question_id]}
    db.session.commit()
    return progress(response)


def answer_question(response: Response, question_id: Any, value: Any, other_text: Any = None) -> Progress:
    """Validate and save one answer, replacing an earlier answer to the same question.

    Answers left on questions that this answer hides are removed. Commits.
    """
    _apply_answers(response, [(question_id, value, other_text)])
    db.session.commit()
    db.session.refresh(response)
    return progress(response)


def complete_response(response: Response) -> Response:
    """Finish a response whose visible required questions all have answers. Commits."""
    _complete(response)
    db.session.commit()
    return response


def create_staff_response(survey: Survey, external_id: str | None, answers: Sequence[dict],
                          complete: bool, metadata: dict | None) -> Response:
    """Record a whole response entered by staff (channel "interview") in one transaction.

    Everything is checked before anything is written; then the response, its answers and its
    events go to the database in one flush (this is the API's hot path for bulk entry).
    """
    seen: dict[str, int] = {}
    for i, item in enumerate(answers):
        if item["question"] in seen:
            raise Invalid(f"Question {item['question']!r} is answered twice.",
                          {f"answers.{i}.question": f"repeats answers.{seen[item['question']]}"})
        seen[item["question"]] = i
    version = live_version(survey)
    items = [(a["question"], a["value"], a.get("other_text")) for a in answers]
    cleaned = _clean_batch(version.definition, {}, items, "answers.")
    given = {clean.question: clean.value for clean in cleaned}
    if complete:
        missing = logic.missing_required(version.definition, given)
        if missing:
            raise Invalid("Required questions have no answer: " + ", ".join(missing) + ".",
                          {f"answers.{qid}": "is required" for qid in missing})
    respondent = find_or_create_respondent(survey.org_id, external_id) if external_id is not None else None
    now = utcnow()
    response = Response(
        org_id=survey.org_id, survey_id=survey.id, survey_version_id=version.id, version=version,
        respondent=respondent, channel="interview", meta=metadata or {}, started_at=now, updated_at=now,
        status="completed" if complete else "partial", responded_at=now if cleaned else None,
        completed_at=now if complete else None,
        answers=[Answer(question_id=c.question, value=c.value, other_text=c.other_text, answered_at=now)
                 for c in cleaned],
    )
    db.session.add(response)
    db.session.flush()
    # An interview reaches its person by being held: "opened" is the interview channel's reached.
    record_event(survey.org_id, "opened", survey_id=survey.id, channel="interview", response_id=response.id)
    count_answer_changes(response, {}, given, now)
    for happened in (["responded"] if cleaned else []) + (["completed"] if complete else []):
        record_event(survey.org_id, happened, survey_id=survey.id, channel="interview", response_id=response.id)
    db.session.commit()
    return response


def _clean_batch(definition: dict, so_far: dict[str, Any], items: list[tuple[Any, Any, Any]],
                 field_prefix: str = "") -> list[logic.CleanAnswer]:
    """Validate answers given together; visibility is judged with all of them applied."""
    answers = dict(so_far)
    answers.update({qid: value for qid, value, _ in items if isinstance(qid, str)})
    cleaned = []
    for i, (qid, value, other_text) in enumerate(items):
        try:
            cleaned.append(logic.check_answer(definition, answers, qid, value, other_text))
        except logic.AnswerError as err:
            name = f"{field_prefix}{i}.{err.field}" if field_prefix else err.field
            raise Invalid(f"Answer to {qid!r}: {err.message}.", {name: err.message}) from None
    return cleaned


def _apply_answers(response: Response, items: list[tuple[Any, Any, Any]], field_prefix: str = "") -> None:
    _lock(response)
    if response.status == "completed":
        raise Conflict("The response is completed and takes no more answers.", {"response": "is completed"})
    definition = response.version.definition
    so_far = response.answer_values()
    before = dict(so_far)
    cleaned = _clean_batch(definition, so_far, items, field_prefix)
    so_far.update({clean.question: clean.value for clean in cleaned})
    now = utcnow()
    for clean in cleaned:
        _upsert_answer(response.id, clean, now)
    hidden = logic.hidden_answered(definition, so_far)
    if hidden:
        db.session.execute(delete(Answer).where(Answer.response_id == response.id,
                                                Answer.question_id.in_(hidden)))
    count_answer_changes(response, before, {k: v for k, v in so_far.items() if k not in hidden}, now)
    # Conditional updates, so two concurrent first answers record one "responded" event.
    first = db.session.execute(
        update(Response).where(Response.id == response.id, Response.responded_at.is_(None))
        .values(responded_at=now, updated_at=now)
    ).rowcount
    if first:
        record_event(response.org_id, "responded", survey_id=response.survey_id,
                     channel=response.channel, response_id=response.id)
    else:
        db.session.execute(update(Response).where(Response.id == response.id).values(updated_at=now))
    db.session.expire(response)


def _lock(response: Response) -> None:
    """Lock the response and reload it, so this change sees the answers it replaces (for the counters).

    On PostgreSQL this is a row lock; SQLite's BEGIN IMMEDIATE already runs one writer at a time.
    """
    db.session.execute(select(Response.id).where(Response.id == response.id).with_for_update())
    db.session.refresh(response)


def _upsert_answer(response_id: int, clean: logic.CleanAnswer, now: datetime) -> None:
    """Insert or replace one answer atomically, safe against the same answer sent twice at once."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(Answer).values(response_id=response_id, question_id=clean.question,
                                      value=clean.value, other_text=clean.other_text, answered_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=["response_id", "question_id"],
        set_={"value": statement.excluded.value, "other_text": statement.excluded.other_text,
              "answered_at": statement.excluded.answered_at},
    )
    db.session.execute(statement)


def _complete(response: Response, field_prefix: str = "") -> None:
    db.session.refresh(response)
    missing = logic.missing_required(response.version.definition, response.answer_values())
    if missing:
        fields = {(f"{field_prefix}.{qid}" if field_prefix else qid): "is required" for qid in missing}
        raise Invalid("Required questions have no answer: " + ", ".join(missing) + ".", fields)
    now = utcnow()
    done = db.session.execute(
        update(Response).where(Response.id == response.id, Response.status == "partial")
        .values(status="completed", completed_at=now, updated_at=now)
    ).rowcount
    if done:
        record_event(response.org_id, "completed", survey_id=response.survey_id,
                     channel=response.channel, response_id=response.id)
    db.session.expire(response)


def get_response(org_id: int, response_id: int) -> Response:
    """Return one of the org's responses."""
    response = db.session.execute(
        select(Response).where(Response.id == response_id, Response.org_id == org_id)
    ).scalar_one_or_none()
    if response is None:
        raise NotFound(f"No response {response_id}.")
    return response


def _filtered(survey: Survey, channel: str | None, status: str | None, since: datetime | None):
    query = select(Response).where(Response.survey_id == survey.id).order_by(Response.id)
    if channel:
        query = query.where(Response.channel == channel)
    if status:
        query = query.where(Response.status == status)
    if since:
        query = query.where(Response.updated_at >= since)
    return query


def list_responses(survey: Survey, *, channel: str | None, status: str | None, since: datetime | None,
                   cursor: str | None, limit: int) -> tuple[list[Response], str | None]:
    """Return a page of a survey's responses, oldest first, and the next page's cursor."""
    query = _filtered(survey, channel, status, since).limit(limit + 1)
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(Response.id > after)
    rows = list(db.session.execute(query).unique().scalars())
    page = rows[:limit]
    return page, encode_cursor(page[-1].id) if len(rows) > limit else None


def iter_responses(survey: Survey, *, channel: str | None, status: str | None, since: datetime | None,
                   chunk: int = 500) -> Iterator[Response]:
    """Yield every matching response, reading in chunks so memory stays flat for any count."""
    after = 0
    while True:
        query = _filtered(survey, channel, status, since).where(Response.id > after).limit(chunk)
        rows = list(db.session.execute(query).unique().scalars())
        yield from rows
        if len(rows) < chunk:
            return
        after = rows[-1].id
        db.session.expunge_all()
