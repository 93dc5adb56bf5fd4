"""Follow-ups (CONTRACT §10): opened with the answers that call for them, then worked by managers.

A follow-up is opened in the unit of work of the answer that triggers it — for a detractor (NPS 0–6)
and for each of the survey version's `follow_ups` rules that holds on the answers and the
respondent's attributes — or by a manager, by hand, from the response's page (reason "manual"). One
per response and reason, whatever is answered again: the insert skips a pair that exists (concurrent
answers too, by the unique constraint).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from ..delivery import webhooks
from ..errors import Conflict, Invalid
from ..extensions import db
from ..models import FollowUp, Response, User
from ..models.types import utcnow
from ..models.upsert import insert_for
from ..pagination import decode_cursor, encode_cursor
from ..rules import survey as logic
from ..tenancy import org_row

MAX_NOTE = 5000


def open_follow_ups(response: Response, answers: dict[str, Any]) -> list[FollowUp]:
    """Open the follow-ups that `answers` call for on `response` and not opened yet; return the new ones."""
    attributes = response.respondent.attributes if response.respondent is not None else {}
    reasons = logic.follow_up_reasons(response.version.definition, answers, attributes or {})
    if not reasons:
        return []
    have = set(db.session.execute(select(FollowUp.reason).where(FollowUp.response_id == response.id)).scalars())
    opened = [_open(response, reason) for reason in reasons if reason not in have]
    return [follow_up for follow_up in opened if follow_up is not None]


def open_by_hand(response: Response, *, author: str, note: str | None = None) -> FollowUp:
    """Open a follow-up on `response` for the manager `author` (its owner), with their note.

    One per response: a second is Conflict, naming the first (whatever its status now).
    """
    follow_up = _open(response, logic.BY_HAND)
    if follow_up is None:
        existing = db.session.execute(select(FollowUp.id).where(
            FollowUp.response_id == response.id, FollowUp.reason == logic.BY_HAND)).scalar_one()
        raise Conflict(f"Response {response.id} already has a follow-up opened by hand (#{existing}).",
                       {"follow_up": f"is #{existing}"})
    return update_follow_up(follow_up, author=author, owner=author, note=note)


def _open(response: Response, reason: str) -> FollowUp | None:
    """Open the follow-up (`response`, `reason`) and enqueue its webhook; None if it is open already."""
    now = utcnow()
    statement = insert_for(db.session.get_bind().dialect.name)(FollowUp.__table__).on_conflict_do_nothing(
        index_elements=["response_id", "reason"]).returning(FollowUp.__table__.c.id)
    follow_up_id = db.session.execute(statement, {
        "org_id": response.org_id, "survey_id": response.survey_id, "response_id": response.id,
        "reason": reason, "status": "open", "notes": [], "created_at": now, "updated_at": now,
    }).scalar_one_or_none()
    if follow_up_id is None:  # opened already (perhaps by a concurrent answer)
        return None
    follow_up = db.session.get(FollowUp, follow_up_id)
    assert follow_up is not None
    webhooks.enqueue(response.org_id, "follow_up.opened",
                     {"follow_up": follow_up_out(follow_up), "response_id": response.id}, response_id=response.id)
    return follow_up


def follow_up_out(follow_up: FollowUp) -> dict:
    """Return the API's shape of a follow-up (the webhook carries the same)."""
    return {
        "id": follow_up.id, "survey_id": follow_up.survey_id, "response_id": follow_up.response_id,
        "reason": follow_up.reason, "status": follow_up.status,
        "owner": follow_up.owner.email if follow_up.owner is not None else None,
        "due": follow_up.due.isoformat() if follow_up.due else None, "notes": list(follow_up.notes or []),
        "created_at": follow_up.created_at.isoformat(), "updated_at": follow_up.updated_at.isoformat(),
    }


@dataclass(frozen=True)
class FollowUpFilter:
    """Which follow-ups a listing shows: by survey (None: all the org's), status and owner."""

    survey_id: int | None = None
    status: str | None = None
    owner_id: int | None = None


def list_follow_ups(org_id: int, filters: FollowUpFilter, *, cursor: str | None,
                    limit: int) -> tuple[list[FollowUp], str | None]:
    """Return a page of the org's follow-ups, oldest first, and the next page's cursor."""
    query = select(FollowUp).where(FollowUp.org_id == org_id).order_by(FollowUp.id).limit(limit + 1)
    if filters.survey_id is not None:
        query = query.where(FollowUp.survey_id == filters.survey_id)
    if filters.status:
        query = query.where(FollowUp.status == filters.status)
    if filters.owner_id is not None:
        query = query.where(FollowUp.owner_id == filters.owner_id)
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(FollowUp.id > after)
    rows = list(db.session.execute(query).scalars())
    page = rows[:limit]
    return page, encode_cursor(page[-1].id) if len(rows) > limit else None


def of_response(response: Response) -> list[FollowUp]:
    """Return the response's follow-ups, oldest first."""
    return list(db.session.execute(
        select(FollowUp).where(FollowUp.response_id == response.id).order_by(FollowUp.id)).scalars())


def get_follow_up(org_id: int, follow_up_id: int) -> FollowUp:
    """Return one of the org's follow-ups; another org's is NotFound."""
    return org_row(FollowUp, org_id, follow_up_id, "follow-up")


def org_user(org_id: int, email: str, field: str = "owner") -> User:
    """Return the org's dashboard user with `email`; anyone else is Invalid naming `field`."""
    user = db.session.execute(
        select(User).where(User.org_id == org_id, User.email == email.strip().lower())).scalar_one_or_none()
    if user is None:
        raise Invalid(f"No user {email!r} in this org.", {field: "is not a user of this org"})
    return user


_UNSET: Any = object()


def update_follow_up(follow_up: FollowUp, *, author: str, status: str | None = None, owner: Any = _UNSET,
                     note: str | None = None, due: Any = _UNSET) -> FollowUp:
    """Change a follow-up's status, owner (an email, None: nobody) or due date, and add a note by `author`."""
    if owner is not _UNSET:
        follow_up.owner = org_user(follow_up.org_id, owner) if owner else None
    if status is not None:
        follow_up.status = status
    if due is not _UNSET:
        follow_up.due = due if isinstance(due, date) or due is None else None
    if note:
        follow_up.notes = [*follow_up.notes, {"text": note, "author": author, "at": utcnow().isoformat()}]
    follow_up.updated_at = utcnow()
    return follow_up
