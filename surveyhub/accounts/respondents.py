"""Respondents: finding or creating them, and erasing them on request."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..delivery.webhooks import forget_person
from ..errors import NotFound
from ..events import record_event
from ..extensions import db
from ..insights.counters import counted_segments, move_person
from ..models import Event, Invitation, Respondent, Response

PROFILE_FIELDS = ("email", "phone", "locale", "timezone")


def find_or_create_respondent(org_id: int, external_id: str | None, *, lock: bool = False,
                              **profile: Any) -> Respondent:
    """Return the org's respondent with this external id, updated with `profile`; create it if new.

    Without an external id a new anonymous respondent is made. Safe against a concurrent request
    creating the same person: that insert loses only its savepoint, and the person it made is used.
    `lock`: read the person's row FOR UPDATE (PostgreSQL), held until the transaction ends, in the
    same statement; a person made here is held by its insert until then.
    """
    respondent = None
    if external_id is not None:
        query = select(Respondent).where(Respondent.org_id == org_id, Respondent.external_id == external_id)
        respondent = db.session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if respondent is None:
        known = {field: profile[field] for field in PROFILE_FIELDS if profile.get(field) is not None}
        respondent = Respondent(org_id=org_id, external_id=external_id, attributes=profile.get("attributes") or {},
                                **known)
        try:
            with db.session.begin_nested():
                db.session.add(respondent)
        except IntegrityError:  # created a moment ago by a concurrent request (PostgreSQL): update that one
            return find_or_create_respondent(org_id, external_id, lock=lock, **profile)
        return respondent
    for field in PROFILE_FIELDS:
        if profile.get(field) is not None:
            setattr(respondent, field, profile[field])
    if profile.get("attributes"):
        segments = counted_segments(respondent.attributes)
        respondent.attributes = {**(respondent.attributes or {}), **profile["attributes"]}
        # Stats filter on the current attributes: move what the person's answers counted.
        move_person(respondent.id, segments, counted_segments(respondent.attributes))
    db.session.flush()
    return respondent


def erase_respondent(org_id: int, external_id: str) -> None:
    """Erase a person's personal data, responses and answers; the event record keeps counts only."""
    respondent = db.session.execute(
        select(Respondent).where(Respondent.org_id == org_id, Respondent.external_id == external_id)
    ).scalar_one_or_none()
    if respondent is None:
        raise NotFound(f"No respondent {external_id!r}.")
    move_person(respondent.id, counted_segments(respondent.attributes), [], erase=True)
    response_ids = list(db.session.execute(select(Response.id).where(Response.respondent_id == respondent.id))
                        .scalars())
    forget_person(org_id, response_ids, [a for a in (respondent.email, respondent.phone) if a])
    # The events stay, unlinked: SQLite may give a deleted response's id to a new response, whose
    # person the old events must not be counted for.
    db.session.execute(update(Event).where(Event.response_id.in_(response_ids)).values(response_id=None))
    db.session.execute(delete(Response).where(Response.respondent_id == respondent.id))
    # Invitations are kept (they are what was sent, for the funnel) but no longer point at a person.
    db.session.execute(
        update(Invitation).where(Invitation.respondent_id == respondent.id)
        .values(respondent_id=None, address=None, meta={}, last_error=None)
    )
    db.session.delete(respondent)
    record_event(org_id, "erased")
