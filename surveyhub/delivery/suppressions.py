"""Who must not be contacted again: unsubscribed addresses, opted-out phone numbers."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..bulk import any_of
from ..events import record_event
from ..extensions import db
from ..models import Suppression
from .webhooks import enqueue_opt_out


def suppressed(org_id: int, channel: str, addresses: Iterable[str]) -> set[str]:
    """Return which of `addresses` the org must not contact on `channel`."""
    addresses = list(addresses)
    if not addresses:
        return set()
    return set(db.session.execute(
        select(Suppression.address).where(Suppression.org_id == org_id, Suppression.channel == channel,
                                          any_of(Suppression.address, addresses))
    ).scalars())


def suppress(org_id: int, channel: str, address: str, reason: str, survey_id: int | None = None) -> bool:
    """Record that an address is not to be contacted, with its event and webhook; True if it is new.

    A concurrent request suppressing the same address loses only its savepoint, never the caller's
    work (the inbound message that asked, say).
    """
    try:
        with db.session.begin_nested():
            db.session.add(Suppression(org_id=org_id, channel=channel, address=address, reason=reason))
    except IntegrityError:
        return False
    record_event(org_id, "unsubscribed" if channel == "email" else "opted_out", survey_id=survey_id,
                 channel=channel)
    enqueue_opt_out(org_id, channel, address, survey_id)
    return True
