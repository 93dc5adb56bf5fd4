"""Erasing a person on request: their personal data, responses and answers; counts and events stay."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from ..counters import counted_segments, mark_themes_uncounted, move_person
from ..delivery.cascades import cancel_for_respondent
from ..delivery.webhooks import forget_person
from ..errors import NotFound
from ..events import record_event
from ..extensions import db
from ..models import Event, Invitation, Respondent, Response


def erase_respondent(org_id: int, external_id: str) -> None:
    """Erase a person's personal data, responses and answers; the event record keeps counts only."""
    respondent = db.session.execute(
        select(Respondent).where(Respondent.org_id == org_id, Respondent.external_id == external_id)
    ).scalar_one_or_none()
    if respondent is None:
        raise NotFound(f"No respondent {external_id!r}.")
    erase_person(org_id, respondent)


def erase_person(org_id: int, respondent: Respondent) -> None:
    """Erase one of the org's people, found by the caller: personal data, responses and answers."""
    move_person(respondent.id, counted_segments(respondent.attributes), [], erase=True)
    cancel_for_respondent(respondent.id)
    response_ids = list(db.session.execute(select(Response.id).where(Response.respondent_id == respondent.id))
                        .scalars())
    forget_person(org_id, response_ids, [a for a in (respondent.email, respondent.phone) if a])
    # Their texts leave the theme counters: the next listing of those surveys' themes counts afresh.
    mark_themes_uncounted(set(db.session.execute(
        select(Response.survey_id).where(Response.respondent_id == respondent.id)).scalars()))
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
