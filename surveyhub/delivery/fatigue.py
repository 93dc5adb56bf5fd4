"""The fatigue cap (CONTRACT §9): one new invitation or cascade per person per window, across the org.

A person is matched by their external id when the recipient gives one, else by email, else by phone.
What counts as a contact: an invitation that is not a cascade's step and was not cancelled, or a
cascade (its steps are one contact). The widget is not a contact: the person opened it themselves.
The window is judged by the delivery engine's clock, which tests move.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, union

from ..accounts.orgs import contact_cap_days
from ..bulk import any_of
from ..extensions import db
from ..models import Cascade, Invitation, Org, Respondent
from . import engine as delivery

REASON = "fatigue_cap"


@dataclass(frozen=True)
class Person:
    """Who a recipient is, as far as the cap can tell: external id, normalised email, E.164 phone."""

    external_id: str | None = None
    email: str | None = None
    phone: str | None = None


def contacted(org: Org, people: Sequence[Person]) -> set[int]:
    """Return the positions in `people` of those the org contacted within its window (none if it is 0)."""
    days = contact_cap_days(org)
    if days <= 0 or not people:
        return set()
    since = delivery.clock() - timedelta(days=days)
    ids = {p.external_id for p in people if p.external_id}
    emails = {p.email for p in people if not p.external_id and p.email}
    phones = {p.phone for p in people if not p.external_id and not p.email and p.phone}
    found_ids = _contacted_ids(org.id, ids, since) if ids else set()
    found_emails = _contacted_addresses(org.id, "email", emails, since) if emails else set()
    found_phones = _contacted_addresses(org.id, "sms", phones, since) if phones else set()

    def seen(person: Person) -> bool:
        if person.external_id:
            return person.external_id in found_ids
        return person.email in found_emails if person.email else person.phone in found_phones

    return {i for i, person in enumerate(people) if seen(person)}


def _invitations_since(since: datetime) -> tuple:
    return (Invitation.cascade_id.is_(None), Invitation.status != "cancelled", Invitation.created_at >= since)


def _contacted_ids(org_id: int, external_ids: set[str], since: datetime) -> set[str]:
    # Contacts are found by person (ix_invitations_respondent_id, ix_cascades_respondent_id): the org is
    # the people's, so its condition is left out rather than offered to the planner as a second index.
    people = (select(Respondent.id, Respondent.external_id)
              .where(Respondent.org_id == org_id, any_of(Respondent.external_id, external_ids)).cte("people"))
    contacted = union(
        select(Invitation.respondent_id.label("id")).where(*_invitations_since(since),
                                                           Invitation.respondent_id.in_(select(people.c.id))),
        select(Cascade.respondent_id.label("id")).where(Cascade.started_at >= since,
                                                        Cascade.respondent_id.in_(select(people.c.id))),
    ).subquery()
    return set(db.session.execute(
        select(people.c.external_id).where(people.c.id.in_(select(contacted.c.id)))).scalars())


def _contacted_addresses(org_id: int, channel: str, addresses: set[str], since: datetime) -> set[str]:
    column = Cascade.email if channel == "email" else Cascade.phone
    return {address for address in db.session.execute(union(
        select(Invitation.address).where(Invitation.org_id == org_id, *_invitations_since(since),
                                         Invitation.channel == channel, any_of(Invitation.address, addresses)),
        select(column).where(Cascade.org_id == org_id, Cascade.started_at >= since, any_of(column, addresses)),
    )).scalars() if address}
