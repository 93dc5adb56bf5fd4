"""Creating invitations: validate, de-duplicate and queue recipients, or refuse each with a reason."""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from ..accounts.orgs import REGION_SETTING
from ..accounts.surveys import live_version
from ..bulk import any_of, custom_plans, insert_rows
from ..events import NewEvent, record_events
from ..extensions import db
from ..i18n import choose_locale
from ..models import Invitation, Respondent, Response, Survey
from ..models.types import utcnow
from ..pagination import decode_cursor, encode_cursor
from ..rules import hours
from ..rules import survey as logic
from ..schemas.fields import LOCALE_RE
from . import fatigue
from . import sms as sms_delivery
from .suppressions import suppressed

# The recipient's field each channel's address comes from.
ADDRESS_FIELD = {"email": "email", "sms": "phone"}


@dataclass
class Refusal:
    recipient: dict
    reason: str


@dataclass(frozen=True)
class Queued:
    id: int
    channel: str
    recipient: dict
    send_at: datetime
    status: str = "queued"
    # SMS: the segments the survey is estimated to take (sms_delivery.estimate).
    sms: dict | None = None
    # A cascade (its id is the cascade's): the steps it will take.
    steps: list | None = None


@dataclass
class InvitationBatch:
    queued: list[Queued]
    refused: list[Refusal]


def _cache_email_domain_checks() -> None:
    """Check each email domain once per process, not once per address.

    email-validator spends three quarters of its time on the domain (Unicode and IDNA rules), and a
    100,000-row import has a few dozen domains. That check is a pure function of its arguments (the
    domain, and two flags that are constant here), returns a result validate_email only reads, and
    raises for a bad domain (not cached: raised again each time), so caching it changes no answer.
    """
    checks: Any = sys.modules[validate_email.__module__]
    if not hasattr(checks.validate_email_domain_name, "cache_info"):
        checks.validate_email_domain_name = functools.lru_cache(maxsize=4096)(checks.validate_email_domain_name)


_cache_email_domain_checks()


def normalize_email(email: str) -> str:
    """Return the address in the form we store and compare (lower-cased); raise ValueError if invalid."""
    try:
        checked = validate_email(email, check_deliverability=False)
    except EmailNotValidError as err:
        raise ValueError(str(err)) from None
    return checked.normalized.lower()


def normalize_phone(phone: str, region: str | None) -> str:
    """Return a phone number in E.164; numbers without a + are read in `region`. ValueError if invalid."""
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException as err:
        raise ValueError(str(err)) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{phone!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_recipient(channel: str, recipient: dict, region: str | None = None) -> tuple[str | None, str | None]:
    """Return (address, None) for a usable recipient, or (None, reason)."""
    if recipient.get("timezone") and not hours.is_timezone(recipient["timezone"]):
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
    if channel == "sms":
        if not recipient.get("phone"):
            return None, "missing_phone"
        try:
            return normalize_phone(recipient["phone"], region), None
        except ValueError:
            return None, "invalid_phone"
    raise ValueError(f"no invitations on channel {channel!r}")


def create_invitations(survey: Survey, channel: str, recipients: Sequence[dict],
                       send_at: datetime | None = None) -> InvitationBatch:
    """Queue an invitation per acceptable recipient and say why each other one was refused."""
    definition = live_version(survey).definition
    # SMS judge "now" by the clock of the quiet hours (sms_delivery.clock(), which tests set), so that
    # an invitation's start and its quiet-hours check agree.
    send_at = send_at or (sms_delivery.clock() if channel == "sms" else utcnow())
    refused: list[Refusal] = []
    accepted: list[tuple[dict, str]] = []
    seen_addresses: set[str] = set()
    seen_ids: set[str] = set()
    region = (survey.org.settings or {}).get(REGION_SETTING)
    for recipient in recipients:
        address, reason = check_recipient(channel, recipient, region)
        external_id = recipient.get("external_id")
        if reason is None and (address in seen_addresses or (external_id and external_id in seen_ids)):
            reason = "duplicate"
        if reason:
            refused.append(Refusal(recipient, reason))
            continue
        assert address is not None  # _check_recipient gives an address or a reason
        seen_addresses.add(address)
        if external_id:
            seen_ids.add(external_id)
        accepted.append((recipient, address))

    field = ADDRESS_FIELD[channel]
    with custom_plans():  # the batch's lookups
        blocked = suppressed(survey.org_id, channel, [a for _, a in accepted])
        recent = _recently_invited(survey, [a for _, a in accepted], logic.setting(definition, "cooldown_days"))
        tired = fatigue.contacted(survey.org, [fatigue.Person(r.get("external_id"), **{field: a})
                                               for r, a in accepted])
    usable = []
    for i, (recipient, address) in enumerate(accepted):
        if address in blocked:
            refused.append(Refusal(recipient, "opted_out" if channel == "sms" else "unsubscribed"))
        elif address in recent:
            refused.append(Refusal(recipient, "recently_invited"))
        elif i in tired:
            refused.append(Refusal(recipient, fatigue.REASON))
        else:
            usable.append((recipient, address))

    position = {id(recipient): i for i, recipient in enumerate(recipients)}
    refused.sort(key=lambda refusal: position[id(refusal.recipient)])  # in the order they were given
    if not usable:
        return InvitationBatch([], refused)
    # Bulk statements, not ORM objects: this is also the path of 100,000-row CSV imports.
    respondent_ids = upsert_respondents(survey.org_id, channel, usable)
    now = utcnow()
    # RETURNING rows are matched by address (unique in the batch): RETURNING promises no order.
    id_of = dict(insert_rows(
        Invitation,
        [{"org_id": survey.org_id, "survey_id": survey.id, "respondent_id": respondent_id, "channel": channel,
          "address": address, "send_at": send_at, "due_at": _due_at(survey, channel, recipient, address, send_at),
          "status": "queued", "attempts": 0, "meta": {}, "created_at": now}
         for (recipient, address), respondent_id in zip(usable, respondent_ids, strict=True)],
        returning=("address", "id")))
    invitation_ids = [id_of[address] for _, address in usable]
    record_events(survey.org_id, [NewEvent("invited", survey_id=survey.id, channel=channel, invitation_id=invitation_id)
                                  for invitation_id in invitation_ids])
    estimates = _sms_estimates(survey, definition, [r for r, _ in usable]) if channel == "sms" else {}
    queued = [Queued(invitation_id, channel, {**recipient, field: address}, send_at,
                     sms=estimates.get(recipient.get("locale")))
              for invitation_id, (recipient, address) in zip(invitation_ids, usable, strict=True)]
    return InvitationBatch(queued, refused)


def _due_at(survey: Survey, channel: str, recipient: dict, address: str, send_at: datetime) -> datetime:
    """SMS surveys start only in quiet-hours-free time: an invitation due outside it waits for the window."""
    if channel != "sms":
        return send_at
    zones = hours.quiet_hours_zones(address, recipient.get("timezone"), survey.org.timezone)
    return hours.next_window_start(max(send_at, sms_delivery.clock()), zones) or send_at


def _sms_estimates(survey: Survey, definition: dict, recipients: list[dict]) -> dict[str | None, dict]:
    """Estimate the survey's SMS segments once per locale asked for."""
    org_name = " ".join(survey.org.name.split())
    return {locale: sms_delivery.estimate(definition, choose_locale(logic.survey_locales(definition), locale),
                                           org_name)
            for locale in {r.get("locale") for r in recipients}}


def _recently_invited(survey: Survey, addresses: list[str], cooldown_days: int) -> set[str | None]:
    if not addresses or cooldown_days <= 0:
        return set()
    since = utcnow() - timedelta(days=cooldown_days)
    return set(db.session.execute(
        select(Invitation.address).where(Invitation.survey_id == survey.id, any_of(Invitation.address, addresses),
                                         Invitation.created_at >= since, Invitation.status != "cancelled")
    ).scalars())


def upsert_respondents(org_id: int, channel: str, rows: list[tuple[dict, str]]) -> list[int]:
    """Return the respondent id of each row (found by external id, else by address), creating new ones."""
    address_column = Respondent.email if channel == "email" else Respondent.phone
    external_ids = [r["external_id"] for r, _ in rows if r.get("external_id")]
    anonymous = [a for r, a in rows if not r.get("external_id")]
    Key = tuple[str, str | None]  # ("id", external id) or ("address", address)
    existing: dict[Key, Respondent] = {}
    with custom_plans():
        if external_ids:
            for person in db.session.execute(select(Respondent).where(
                    Respondent.org_id == org_id, any_of(Respondent.external_id, external_ids))).scalars():
                existing[("id", person.external_id)] = person
        if anonymous:
            for person in db.session.execute(select(Respondent).where(
                    Respondent.org_id == org_id, any_of(address_column, anonymous)).order_by(Respondent.id)
            ).scalars():
                existing.setdefault(("address", getattr(person, address_column.key)), person)
    keys = [("id", r["external_id"]) if r.get("external_id") else ("address", a) for r, a in rows]
    new_rows: list[dict[str, Any]] = []
    new_keys: list[Key] = []
    ids: dict[Key, int] = {}
    for (recipient, address), key in zip(rows, keys, strict=True):
        known = existing.get(key)
        if known is not None:  # known: update the profile (a few rows; the ORM is fine here)
            _apply_profile(known, recipient, channel, address)
            ids[key] = known.id
        elif key not in ids and key not in new_keys:
            new_keys.append(key)
            new_rows.append(_new_profile(org_id, recipient, channel, address))
    if new_rows:  # matched back by key, not parameter order (see create_invitations)
        created = insert_rows(Respondent, new_rows, returning=("id", "external_id", address_column.key))
        for person_id, external_id, created_address in created:
            ids[("id", external_id) if external_id else ("address", created_address)] = person_id
    db.session.flush()
    return [ids[key] for key in keys]


def _new_profile(org_id: int, recipient: dict[str, Any], channel: str, address: str) -> dict[str, Any]:
    now = utcnow()
    return {"org_id": org_id, "external_id": recipient.get("external_id"),
            "email": address if channel == "email" else None,
            "phone": address if channel != "email" else recipient.get("phone"),
            "locale": recipient.get("locale"), "timezone": recipient.get("timezone"),
            "attributes": recipient.get("attributes") or {}, "created_at": now, "updated_at": now}


def _apply_profile(person: Respondent, recipient: dict[str, Any], channel: str, address: str) -> None:
    setattr(person, channel if channel == "email" else "phone", address)
    for field in ("locale", "timezone"):
        if recipient.get(field):
            setattr(person, field, recipient[field])
    if channel == "email" and recipient.get("phone"):
        person.phone = recipient["phone"]
    if recipient.get("attributes"):
        person.attributes = {**(person.attributes or {}), **recipient["attributes"]}


@dataclass(frozen=True)
class Listed:
    """One invitation as the listing shows it (CONTRACT §9)."""

    id: int
    channel: str
    recipient: dict
    status: str
    send_at: datetime
    sent_at: datetime | None
    opened_at: datetime | None
    response_id: int | None
    cascade_id: int | None
    step: int | None


def list_invitations(survey: Survey, *, channel: str | None, status: str | None, cursor: str | None,
                     limit: int) -> tuple[list[Listed], str | None]:
    """Return a page of the survey's invitations (a cascade's steps each one), oldest first, and the next cursor."""
    query = (select(Invitation, Respondent.external_id, Response.id)
             .outerjoin(Respondent, Respondent.id == Invitation.respondent_id)
             .outerjoin(Response, Response.invitation_id == Invitation.id)
             .where(Invitation.survey_id == survey.id).order_by(Invitation.id).limit(limit + 1))
    if channel is not None:
        query = query.where(Invitation.channel == channel)
    if status is not None:
        query = query.where(Invitation.status == status)
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(Invitation.id > after)
    rows = db.session.execute(query).all()
    page = [Listed(i.id, i.channel, {"external_id": external_id, ADDRESS_FIELD[i.channel]: i.address}, i.status,
                   i.send_at, i.sent_at, i.opened_at, response_id, i.cascade_id, i.step)
            for i, external_id, response_id in rows[:limit]]
    return page, encode_cursor(page[-1].id) if len(rows) > limit else None
