"""The response engine every channel answers through: start, answer, branch, complete."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..accounts.respondents import find_or_create_respondent
from ..accounts.surveys import live_version
from ..counters import count_answer_changes
from ..delivery import cascades
from ..errors import Conflict, Invalid
from ..events import NewEvent, record_event, record_events
from ..extensions import db, rowcount
from ..models import Answer, Invitation, Respondent, Response, Survey, SurveyVersion
from ..models.types import utcnow
from ..models.upsert import insert_for
from ..pagination import decode_cursor, encode_cursor
from ..rules import survey as logic
from ..tenancy import org_row
from ..themes.placing import place_answers
from .followups import open_follow_ups


@dataclass(frozen=True)
class Progress:
    """Where a response stands after an answer: its answers, the next question to ask, if any."""

    response: Response
    answers: dict[str, Any]
    next_question: dict | None
    can_complete: bool


def start_response(survey: Survey, channel: str, *, respondent: Respondent | None = None,
                   invitation: Invitation | None = None, metadata: dict | None = None,
                   version: SurveyVersion | None = None) -> Response:
    """Open a partial response on the survey's live version, or on `version` when the person was
    already asked from an earlier one (an SMS conversation)."""
    version = version or live_version(survey)
    response = Response(answers=[],
        org_id=survey.org_id, survey_id=survey.id, survey_version_id=version.id, version=version,
        respondent_id=respondent.id if respondent else None, respondent=respondent,
        invitation_id=invitation.id if invitation else None,
        channel=channel, meta=metadata or {},
    )
    db.session.add(response)
    db.session.flush()
    return response


def progress(response: Response, answers: dict[str, Any] | None = None) -> Progress:
    """Tell the next visible unanswered question and whether the response may complete.

    `answers`: the response's answers when the caller has them already (else they are read).
    """
    definition = response.version.definition
    answers = response.answer_values() if answers is None else answers
    skipped = response.meta.get("skipped", [])
    return Progress(response, answers, logic.next_question(definition, answers, skipped),
                    not logic.missing_required(definition, answers))


def lock_response(response_id: int) -> Response:
    """Load a response to change it: locked until the transaction ends, with its answers as they are now.

    On PostgreSQL this is a row lock (FOR UPDATE OF responses), so concurrent changes to one response
    take turns and each sees the answers it replaces (the counters need them); SQLite's BEGIN
    IMMEDIATE already runs one writer at a time. Two statements: the response with its version and
    respondent, then its answers. Not one: a row lock waited for gives the locked row as the other
    transaction committed it, but rows joined to it as they were when the statement began, so the
    answers must be read by a statement of their own once the lock is held.
    """
    return db.session.execute(
        select(Response).where(Response.id == response_id).with_for_update(of=Response)
        .execution_options(populate_existing=True)
    ).scalar_one()


def skip_question(response: Response, question_id: str, *, complete: bool = False) -> Progress:
    """Pass over a visible optional question without answering it.

    `complete`: also finish the response in the same transaction (nothing left to ask).
    """
    check_skip(response.version.definition, response.answer_values(), question_id)
    skip_checked_question(response, question_id, complete=complete)
    return progress(response)


def check_skip(definition: dict, answers: dict[str, Any], question_id: str) -> None:
    """Refuse (Invalid) to pass over a question that is not shown with `answers`, or is required."""
    visible = {q["id"]: q for q in logic.visible_questions(definition, answers)}
    if question_id not in visible:
        raise Invalid(f"{question_id!r} is not a question shown now.", {"question": "is not shown"})
    if logic.is_required(visible[question_id]):
        raise Invalid(f"{question_id!r} must be answered.", {"question": "is required"})


def skip_checked_question(response: Response, question_id: str, *, complete: bool = False) -> None:
    """Pass over a question the caller checked (check_skip) against the answers of `response`.

    For callers that check first and work out the next question themselves. `complete`: also finish
    the response in the same transaction.
    """
    if response.status == "completed":
        raise Conflict("The response is completed.", {"response": "is completed"})
    skipped = response.meta.get("skipped", [])
    if question_id not in skipped:
        response.meta = {**response.meta, "skipped": [*skipped, question_id]}
    if complete:
        _complete(response, response.answer_values())


def answer_question(response: Response, question_id: Any, value: Any, other_text: Any = None, *,
                    locked: bool = False, complete: bool = False) -> Progress:
    """Validate and save one answer, replacing an earlier answer to the same question.

    Answers left on questions that this answer hides are removed. `locked`: the caller
    loaded `response` with lock_response() in this transaction (it is not loaded again).
    `complete`: also finish the response in the same transaction.
    """
    answers = _apply_answers(response, [(question_id, value, other_text)], locked=locked)
    if complete:
        _complete(response, answers)
    return progress(response, answers)


def save_checked_answer(response: Response, clean: logic.CleanAnswer, *, complete: bool = False) -> dict[str, Any]:
    """Save an answer the caller checked (logic.check_answer) against the answers of `response`,
    which it loaded with lock_response() in this transaction; return the answers afterwards.

    For a caller that works out the next question itself (an SMS conversation): nothing is checked
    or computed twice. `complete`: also finish the response in the same transaction.
    """
    _ensure_open(response)
    answers = _write_answers(response, response.answer_values(), [clean])
    if complete:
        _complete(response, answers)
    return answers


def complete_if_done(state: Progress) -> bool:
    """Finish the response of `state` if nothing is left to ask and it may complete; tell whether it is done."""
    if state.next_question is not None or not state.can_complete:
        return False
    _mark_completed(state.response)
    return True


def complete_response(response: Response, *, locked: bool = False) -> Response:
    """Finish a response whose visible required questions all have answers.

    `locked`: the caller loaded `response` in this transaction under a lock that keeps it as it is
    (it is not loaded again); else it is locked and read afresh (lock_response).
    """
    if not locked:
        lock_response(response.id)
    _complete(response, response.answer_values())
    return response


def create_staff_response(survey: Survey, external_id: str | None, answers: Sequence[dict],
                          complete: bool, metadata: dict | None) -> Response:
    """Record a whole response entered by staff (channel "interview") in one transaction.

    Everything is checked before anything is written; then the response, its answers and its
    events go to the database in one flush (this is the API's hot path for bulk entry).
    """
    version = live_version(survey)
    cleaned = _clean_staff_answers(version.definition, {}, answers)
    given = {clean.question: clean.value for clean in cleaned}
    if complete:
        _require_answered(version.definition, given, "answers.")
    respondent = find_or_create_respondent(survey.org_id, external_id) if external_id is not None else None
    now = utcnow()
    response = Response(
        org_id=survey.org_id, survey_id=survey.id, survey_version_id=version.id, version=version,
        respondent=respondent, channel="interview", meta=metadata or {}, started_at=now, updated_at=now,
        status="completed" if complete else "partial", responded_at=now if cleaned else None,
        completed_at=now if complete else None,
        answers=[Answer(survey_id=survey.id, question_id=c.question, value=c.value, other_text=c.other_text,
                        answered_at=now)
                 for c in cleaned],
    )
    db.session.add(response)
    db.session.flush()  # the response's id, for its events
    count_answer_changes(response, {}, given, now)
    place_answers(response, {}, cleaned, now)
    open_follow_ups(response, given)
    # An interview reaches its person by being held: "opened" is the interview channel's reached.
    # Its events in one INSERT.
    happened = ["opened", *(["responded"] if cleaned else []), *(["completed"] if complete else [])]
    record_events(survey.org_id, [NewEvent(kind, survey.id, "interview", response.id) for kind in happened])
    if cleaned:  # completion stops both kinds of cascade; a first answer those that stop on it
        cascades.stop_for_answer(survey.id, response.respondent_id, "completed" if complete else "responded")
    return response


def get_response(org_id: int, response_id: int) -> Response:
    """Return one of the org's responses; another org's or an unknown id is NotFound."""
    return org_row(Response, org_id, response_id, "response")


def update_staff_response(org_id: int, response_id: int, answers: Sequence[dict], complete: bool) -> Response:
    """Add or replace answers of a staff (interview) response and, with `complete`, finish it.

    Another channel's response, or a completed one, is a Conflict: staff do not rewrite what a
    person answered themselves, nor a response whose completion was already announced (webhooks,
    stats). Answers are checked against the response's own version, all of them before any is written.
    """
    response = get_response(org_id, response_id)
    lock_response(response.id)
    if response.channel != "interview":
        raise Conflict("Only a staff (interview) response can be changed.", {"response": "is not an interview"})
    _ensure_open(response)
    definition = response.version.definition
    so_far = response.answer_values()
    cleaned = _clean_staff_answers(definition, so_far, answers)
    after = _write_answers(response, so_far, cleaned) if cleaned else so_far
    if complete:
        _require_answered(definition, after, "answers.")
        _mark_completed(response)
    return response


def _clean_staff_answers(definition: dict, so_far: dict[str, Any], answers: Sequence[dict]) -> list[logic.CleanAnswer]:
    """Check answers staff give together (each question at most once), naming fields `answers.N…`."""
    seen: dict[str, int] = {}
    for i, item in enumerate(answers):
        if item["question"] in seen:
            raise Invalid(f"Question {item['question']!r} is answered twice.",
                          {f"answers.{i}.question": f"repeats answers.{seen[item['question']]}"})
        seen[item["question"]] = i
    items = [(a["question"], a["value"], a.get("other_text")) for a in answers]
    return _clean_batch(definition, so_far, items, "answers.")


def _require_answered(definition: dict, answers: dict[str, Any], field_prefix: str = "") -> None:
    """Refuse (Invalid) to finish with a visible required question unanswered, naming each one."""
    missing = logic.missing_required(definition, answers)
    if missing:
        raise Invalid("Required questions have no answer: " + ", ".join(missing) + ".",
                      {f"{field_prefix}{qid}": "is required" for qid in missing})


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


def _apply_answers(response: Response, items: list[tuple[Any, Any, Any]], *, locked: bool = False) -> dict[str, Any]:
    """Check and write answers to a response; return its answers afterwards."""
    if not locked:
        lock_response(response.id)
    _ensure_open(response)
    so_far = response.answer_values()
    return _write_answers(response, so_far, _clean_batch(response.version.definition, so_far, items))


def _ensure_open(response: Response) -> None:
    if response.status == "completed":
        raise Conflict("The response is completed and takes no more answers.", {"response": "is completed"})


def _write_answers(response: Response, so_far: dict[str, Any], cleaned: list[logic.CleanAnswer]) -> dict[str, Any]:
    """Write checked answers over `so_far` (the locked response's answers); return the answers afterwards."""
    definition = response.version.definition
    before = dict(so_far)
    so_far = dict(so_far)
    so_far.update({clean.question: clean.value for clean in cleaned})
    now = utcnow()
    first = response.responded_at is None  # its own conditional UPDATE below
    for clean in cleaned:
        _upsert_answer(response, clean, now, touch=not first)
    hidden = logic.hidden_answered(definition, so_far)
    place_answers(response, before, cleaned, now, removed=hidden)
    if hidden:
        db.session.execute(delete(Answer).where(Answer.response_id == response.id,
                                                Answer.question_id.in_(hidden)))
    after = {k: v for k, v in so_far.items() if k not in hidden}
    count_answer_changes(response, before, after, now)
    open_follow_ups(response, after)
    if first:
        # Conditional, so that two concurrent first answers record one "responded" event.
        responded = rowcount(
            update(Response).where(Response.id == response.id, Response.responded_at.is_(None))
            .values(responded_at=now, updated_at=now).execution_options(synchronize_session=False)
        )
        if responded:
            record_event(response.org_id, "responded", survey_id=response.survey_id,
                         channel=response.channel, response_id=response.id)
            cascades.stop_for_answer(response.survey_id, response.respondent_id, "responded")
    db.session.expire(response, ["answers", "responded_at", "updated_at"])
    return after


def _upsert_answer(response: Response, clean: logic.CleanAnswer, now: datetime, *, touch: bool) -> None:
    """Insert or replace one answer atomically, safe against the same answer sent twice at once.

    `touch`: also set the response's updated_at to `now`: on PostgreSQL in the same statement (one
    round trip), elsewhere in a second one.
    """
    dialect_name = db.session.get_bind().dialect.name
    in_one = touch and dialect_name == "postgresql"
    db.session.execute(_answer_upsert(dialect_name, in_one),
                       {"response_id": response.id, "answer_survey_id": response.survey_id,
                        "question_id": clean.question, "value": clean.value, "other_text": clean.other_text,
                        "answered_at": now,
                        **({"touched_id": response.id, "touched_at": now} if in_one else {})})
    if touch and not in_one:
        db.session.execute(update(Response).where(Response.id == response.id).values(updated_at=now)
                           .execution_options(synchronize_session=False))


@functools.cache
def _answer_upsert(dialect_name: str, touch_response: bool):
    """The answer's upsert; `touch_response`: with an UPDATE of the response's updated_at in a
    data-modifying CTE (PostgreSQL). The survey's parameter is not named survey_id: the CTE's UPDATE
    would take a parameter of its table's column name into its SET."""
    statement = insert_for(dialect_name)(Answer.__table__).values(survey_id=bindparam("answer_survey_id"))
    if touch_response:
        responses = Response.__table__
        statement = statement.add_cte(
            update(responses).where(responses.c.id == bindparam("touched_id"))
            .values(updated_at=bindparam("touched_at")).returning(responses.c.id).cte("touched"))
    return statement.on_conflict_do_update(
        index_elements=["response_id", "question_id"],
        set_={"value": statement.excluded.value, "other_text": statement.excluded.other_text,
              "answered_at": statement.excluded.answered_at},
    )


def complete_saved_response(response: Response) -> None:
    """Finish a response whose flow ended with an accepted save offer, whatever is left unasked.

    The person stays, so the rest of the survey is not asked (CONTRACT §10).
    """
    _mark_completed(response)


def _complete(response: Response, answers: dict[str, Any]) -> None:
    """Finish a response that has `answers`; Invalid while a required one is missing."""
    _require_answered(response.version.definition, answers)
    _mark_completed(response)


def _mark_completed(response: Response) -> None:
    now = utcnow()
    done = rowcount(
        update(Response).where(Response.id == response.id, Response.status == "partial")
        .values(status="completed", completed_at=now, updated_at=now).execution_options(synchronize_session=False)
    )
    if done:
        # What the UPDATE wrote, so that nothing reads it back (the "completed" webhook dumps it).
        for name, value in (("status", "completed"), ("completed_at", now), ("updated_at", now)):
            set_committed_value(response, name, value)
        record_event(response.org_id, "completed", survey_id=response.survey_id,
                     channel=response.channel, response_id=response.id)
        cascades.stop_for_answer(response.survey_id, response.respondent_id, "completed")
    else:
        db.session.expire(response, ["status", "completed_at", "updated_at"])


def matching_responses(survey: Survey, *, channel: str | None, status: str | None, since: datetime | None,
                       include_empty: bool = True):
    """Select a survey's responses by the listing's filters, oldest first.

    `include_empty=False` leaves out responses with no answer (a widget opened and closed).
    """
    query = select(Response).where(Response.survey_id == survey.id).order_by(Response.id)
    if not include_empty:
        query = query.where(Response.responded_at.is_not(None))
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
    query = matching_responses(survey, channel=channel, status=status, since=since).limit(limit + 1)
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(Response.id > after)
    rows = list(db.session.execute(query).unique().scalars())
    page = rows[:limit]
    return page, encode_cursor(page[-1].id) if len(rows) > limit else None


def iter_responses(survey: Survey, *, channel: str | None, status: str | None, since: datetime | None,
                   include_empty: bool = True, chunk: int = 500) -> Iterator[Response]:
    """Yield every matching response (see matching_responses), reading in chunks so memory stays flat."""
    query_all = matching_responses(survey, channel=channel, status=status, since=since, include_empty=include_empty)
    after = 0
    while True:
        query = query_all.where(Response.id > after).limit(chunk)
        rows = list(db.session.execute(query).unique().scalars())
        yield from rows
        if len(rows) < chunk:
            return
        after = rows[-1].id
        db.session.expunge_all()
