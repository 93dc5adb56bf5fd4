"""Creating invitations: validate, de-duplicate and queue recipients, or refuse each with a reason."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from .. import survey_logic as logic
from ..extensions import db
from ..models import Invitation, Respondent, Survey
from ..models.types import utcnow
from ..schemas.fields import LOCALE_RE
from .events import record_event
from .suppressions import suppressed
from .surveys import live_version

# The channels invitations can be sent on (each has a job kind in the delivery engine).
INVITATION_CHANNELS = ("email",)


@dataclass
class Refusal:
    recipient: dict
    reason: str


@dataclass
class InvitationBatch:
    queued: list[tuple[Invitation, dict]]
    refused: list[Refusal]


def normalize_email(email: str) -> str:
    """Return the address in the form we store and compare (lower-cased); raise ValueError if invalid."""
    try:
        checked = validate_email(email, check_deliverability=False)
    except EmailNotValidError as err:
        raise ValueError(str(err)) from None
    return checked.normalized.lower()


def _check_recipient(channel: str, recipient: dict) -> tuple[str | None, str | None]:
    """Return (address, None) for a usable recipient, or (None, reason)."""
    if recipient.get("timezone"):
        try:
            ZoneInfo(recipient["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            return None, "invalid_timezone"
    if recipient.get("locale") and not LOCALE_RE.match(recipient["locale"]):
        return None, "invalid_locale"
    if channel == "email":
        if not recipient.get("email"):
            return None, "missing_email"
        try:
            return normalize_email(recipient["email"]), None
        except ValueError:
            return None, "invalid_email"
    raise ValueError(f"no invitations on channel {channel!r}")


def create_invitations(survey: Survey, channel: str, recipients: Sequence[dict],
                       send_at: datetime | None = None) -> InvitationBatch:
    """Queue an invitation per acceptable recipient and say why each other one was refused. Commits."""
    definition = live_version(survey).definition
    send_at = send_at or utcnow()
    refused: list[Refusal] = []
    accepted: list[tuple[dict, str]] = []
    seen_addresses: set[str] = set()
    seen_ids: set[str] = set()
    for recipient in recipients:
        address, reason = _check_recipient(channel, recipient)
        external_id = recipient.get("external_id")
        if reason is None and (address in seen_addresses or (external_id and external_id in seen_ids)):
            reason = "duplicate"
        if reason:
            refused.append(Refusal(recipient, reason))
            continue
        seen_addresses.add(address)
        if external_id:
            seen_ids.add(external_id)
        accepted.append((recipient, address))

    blocked = suppressed(survey.org_id, channel, [a for _, a in accepted])
    recent = _recently_invited(survey, [a for _, a in accepted], logic.setting(definition, "cooldown_days"))
    usable = []
    for recipient, address in accepted:
        if address in blocked:
            refused.append(Refusal(recipient, "unsubscribed"))
        elif address in recent:
            refused.append(Refusal(recipient, "recently_invited"))
        else:
            usable.append((recipient, address))

    respondents = _upsert_respondents(survey.org_id, channel, usable)
    position = {id(recipient): i for i, recipient in enumerate(recipients)}
    refused.sort(key=lambda refusal: position[id(refusal.recipient)])  # in the order they were given
    queued = []
    for (recipient, address), respondent in zip(usable, respondents, strict=True):
        invitation = Invitation(org_id=survey.org_id, survey_id=survey.id, respondent=respondent, channel=channel,
                                address=address, send_at=send_at, due_at=send_at, status="queued", meta={})
        db.session.add(invitation)
        queued.append((invitation, {**recipient, channel: address}))
    db.session.flush()
    for invitation, _ in queued:
        record_event(survey.org_id, "invited", survey_id=survey.id, channel=channel, invitation_id=invitation.id)
    db.session.commit()
    return InvitationBatch(queued, refused)


def _recently_invited(survey: Survey, addresses: list[str], cooldown_days: int) -> set[str]:
    if not addresses or cooldown_days <= 0:
        return set()
    since = utcnow() - timedelta(days=cooldown_days)
    return set(db.session.execute(
        select(Invitation.address).where(Invitation.survey_id == survey.id, Invitation.address.in_(addresses),
                                         Invitation.created_at >= since, Invitation.status != "cancelled")
    ).scalars())


def _upsert_respondents(org_id: int, channel: str, rows: list[tuple[dict, str]]) -> list[Respondent]:
    """Find or create the respondent of each row (by external id, else by address), in one query each way."""
    external_ids = [r["external_id"] for r, _ in rows if r.get("external_id")]
    by_external: dict[str, Respondent] = {}
    if external_ids:
        by_external = {p.external_id: p for p in db.session.execute(
            select(Respondent).where(Respondent.org_id == org_id, Respondent.external_id.in_(external_ids))
        ).scalars()}
    anonymous = [a for r, a in rows if not r.get("external_id")]
    by_address: dict[str, Respondent] = {}
    if anonymous:
        column = Respondent.email if channel == "email" else Respondent.phone
        for person in db.session.execute(
            select(Respondent).where(Respondent.org_id == org_id, column.in_(anonymous)).order_by(Respondent.id)
        ).scalars():
            by_address.setdefault(getattr(person, "email" if channel == "email" else "phone"), person)
    people = []
    for recipient, address in rows:
        external_id = recipient.get("external_id")
        person = by_external.get(external_id) if external_id else by_address.get(address)
        if person is None:
            person = Respondent(org_id=org_id, external_id=external_id, attributes={})
            db.session.add(person)
        _apply_profile(person, recipient, channel, address)
        people.append(person)
    return people


def _apply_profile(person: Respondent, recipient: dict[str, Any], channel: str, address: str) -> None:
    setattr(person, channel if channel == "email" else "phone", address)
    for field in ("locale", "timezone"):
        if recipient.get(field):
            setattr(person, field, recipient[field])
    if channel == "email" and recipient.get("phone"):
        person.phone = recipient["phone"]
    if recipient.get("attributes"):
        person.attributes = {**(person.attributes or {}), **recipient["attributes"]}
