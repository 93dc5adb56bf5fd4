"""Respondents: the people who answer, found by external id (or anonymous) and created on first sight."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..counters import counted_segments, move_person
from ..extensions import db
from ..models import Respondent

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
