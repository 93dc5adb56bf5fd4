"""Orgs, API keys and managers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum, auto

import phonenumbers
from flask import current_app
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..i18n import LOCALES
from ..models import ApiKey, Org, User
from ..models.org import MAX_CONTACT_CAP_DAYS, MAX_WIDGET_RESPONSES_PER_DAY
from ..models.types import utcnow
from ..rules.hours import is_timezone
from ..security import (
    api_key_matches,
    api_key_prefix,
    decrypt_secret,
    encrypt_secret,
    hash_api_key,
    new_api_key,
    new_signing_secret,
    new_widget_key,
)
from . import audit, grace


@dataclass(frozen=True)
class NewOrg:
    """An org just created, with the secrets that are shown only this once."""

    org: Org
    api_key: str
    signing_secret: str


def create_org(name: str) -> NewOrg:
    """Create an org with an API key, a widget key and a signing secret."""
    secret_key = current_app.config["SECRET_KEY"]
    signing_secret = new_signing_secret()
    org = Org(name=name, widget_key=new_widget_key(),
              signing_secret_encrypted=encrypt_secret(signing_secret, secret_key))
    db.session.add(org)
    api_key = _add_api_key(org)
    db.session.flush()  # the org's id
    return NewOrg(org=org, api_key=api_key, signing_secret=signing_secret)


def _add_api_key(org: Org) -> str:
    key = new_api_key()
    org.api_keys.append(ApiKey(prefix=api_key_prefix(key), key_hash=hash_api_key(key)))
    return key


def org_for_api_key(key: str) -> Org | None:
    """Return the org a live API key belongs to, or None for an unknown or revoked key."""
    row = db.session.execute(
        select(ApiKey.key_hash, Org).join(Org, Org.id == ApiKey.org_id)
        .where(ApiKey.prefix == api_key_prefix(key), ApiKey.revoked_at.is_(None))
    ).one_or_none()
    if row is None or not api_key_matches(key, row.key_hash):
        return None
    return row.Org


def live_api_key(org_id: int) -> ApiKey | None:
    """Return the org's API key in force (its prefix and age; the key itself is only hashed), or None."""
    return db.session.execute(
        select(ApiKey).where(ApiKey.org_id == org_id, ApiKey.revoked_at.is_(None))
        .order_by(ApiKey.id.desc()).limit(1)
    ).scalar_one_or_none()


def previous_signing_secret_until(org: Org) -> datetime | None:
    """Return when the signing secret rotated out stops verifying userHash, or None if none still does."""
    ends = org.previous_signing_secret_expires_at
    return ends if org.previous_signing_secret_encrypted and grace.in_grace(ends) else None


def signing_secret(org: Org) -> str:
    """Return the org's signing secret in clear, for computing widget HMACs."""
    return decrypt_secret(org.signing_secret_encrypted, current_app.config["SECRET_KEY"])


def signing_secrets_in_force(org: Org) -> list[str]:
    """Return the secrets a userHash may be made with: the current one, and the one rotated out while in grace."""
    in_force = [signing_secret(org)]
    if org.previous_signing_secret_encrypted and previous_signing_secret_until(org):
        in_force.append(decrypt_secret(org.previous_signing_secret_encrypted, current_app.config["SECRET_KEY"]))
    return in_force


def rotate_api_key(org_id: int, *, actor: str) -> str:
    """Revoke every live API key of the org and make a new one; return it (shown once).

    The API looks keys up in the database on every request, so the old key is refused by every
    process from the caller's commit on.
    """
    org = get_org(org_id, lock=True)
    db.session.execute(update(ApiKey).where(ApiKey.org_id == org.id, ApiKey.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))
    key = _add_api_key(org)
    audit.record(org.id, "api_key.rotated", actor=actor, subject=f"{api_key_prefix(key)}…",
                 detail={"old_secret_valid_until": None})
    return key


def rotate_widget_key(org_id: int, *, actor: str) -> str:
    """Give the org a new public widget key; the old one stops working at once."""
    org = get_org(org_id, lock=True)
    org.widget_key = new_widget_key()
    audit.record(org.id, "widget_key.rotated", actor=actor, subject=org.widget_key,
                 detail={"old_secret_valid_until": None})
    return org.widget_key


@dataclass(frozen=True)
class RotatedSecret:
    """A secret just made, shown only this once, and when the one it replaced stops working (None: already)."""

    secret: str
    previous_expires_at: datetime | None


def rotate_signing_secret(org_id: int, *, grace_hours: int, actor: str) -> RotatedSecret:
    """Give the org a new signing secret; the old one still verifies userHash for `grace_hours`.

    The old secret is kept encrypted, like the current one, with the end of its grace; after that it
    is never used, and the next rotation overwrites it. Only the last secret rotated out is kept.
    """
    ends = grace.grace_ends(grace_hours)
    org = get_org(org_id, lock=True)
    org.previous_signing_secret_encrypted = org.signing_secret_encrypted if ends else None
    org.previous_signing_secret_expires_at = ends
    secret = new_signing_secret()
    org.signing_secret_encrypted = encrypt_secret(secret, current_app.config["SECRET_KEY"])
    audit.record(org.id, "signing_secret.rotated", actor=actor,
                 detail={"grace_hours": grace_hours, "old_secret_valid_until": grace.as_text(ends)})
    return RotatedSecret(secret, ends)


# Where an org's default phone region is kept in `orgs.settings`.
REGION_SETTING = "default_region"
# How many widget responses one user may start per survey in 24 hours (0: no cap).
WIDGET_RESPONSES_SETTING = "widget_responses_per_day"
DEFAULT_WIDGET_RESPONSES_PER_DAY = 5


def widget_responses_cap(org: Org) -> int:
    """Return the org's cap on widget responses per user, survey and day (0: none)."""
    return int((org.settings or {}).get(WIDGET_RESPONSES_SETTING, DEFAULT_WIDGET_RESPONSES_PER_DAY))


# The fatigue cap (CONTRACT §9): one new invitation or cascade per person in this many days (0: none).
CONTACT_CAP_SETTING = "contact_cap_days"
DEFAULT_CONTACT_CAP_DAYS = 30


def contact_cap_days(org: Org) -> int:
    """Return the org's fatigue window in days (0: no cap)."""
    return int((org.settings or {}).get(CONTACT_CAP_SETTING, DEFAULT_CONTACT_CAP_DAYS))


def get_org(org_id: int, *, lock: bool = False) -> Org:
    """Return an org, or raise NotFound; `lock` holds its row until commit, so that changes to it queue."""
    org = db.session.get(Org, org_id, with_for_update=lock or None, populate_existing=lock)
    if org is None:
        raise NotFound(f"No org {org_id}.", {"org": "no such org"})
    return org


def describe(org: Org) -> dict:
    """The org's settings as the API and the CLI show them."""
    return {"id": org.id, "name": org.name, "timezone": org.timezone or "UTC",
            "default_region": (org.settings or {}).get(REGION_SETTING),
            "widget_responses_per_day": widget_responses_cap(org), "contact_cap_days": contact_cap_days(org)}


class _Unchanged(Enum):
    """The default of a setting not given (None is a value: no default region)."""

    UNCHANGED = auto()


_UNCHANGED = _Unchanged.UNCHANGED


def update_settings(org: Org, *, timezone: str | _Unchanged = _UNCHANGED,
                    default_region: str | None | _Unchanged = _UNCHANGED,
                    widget_responses_per_day: int | _Unchanged = _UNCHANGED,
                    contact_cap_days: int | _Unchanged = _UNCHANGED) -> Org:
    """Change the org's timezone (IANA name: quiet hours of people without one), default phone
    region (ISO 3166 code: how national numbers such as 012-345 6789 are read; None: none) and cap on
    widget responses one user starts per survey and day (0: none), and the fatigue window in days
    (0: none).

    Everything is checked before anything is written.
    """
    errors = {}
    if timezone is not _UNCHANGED and not is_timezone(timezone):
        errors["timezone"] = "is not an IANA timezone such as Asia/Kuala_Lumpur"
    if default_region is not _UNCHANGED and default_region is not None:
        default_region = default_region.strip().upper()
        if default_region not in phonenumbers.SUPPORTED_REGIONS:
            errors["default_region"] = "is not a region code such as MY, ID or SG"
    if widget_responses_per_day is not _UNCHANGED and not _whole_number(widget_responses_per_day,
                                                                       MAX_WIDGET_RESPONSES_PER_DAY):
        errors["widget_responses_per_day"] = f"must be a whole number from 0 to {MAX_WIDGET_RESPONSES_PER_DAY}"
    if contact_cap_days is not _UNCHANGED and not _whole_number(contact_cap_days, MAX_CONTACT_CAP_DAYS):
        errors["contact_cap_days"] = f"must be a whole number from 0 to {MAX_CONTACT_CAP_DAYS}"
    if errors:
        raise Invalid("; ".join(f"{name} {problem}" for name, problem in errors.items()) + ".", errors)
    if timezone is not _UNCHANGED:
        org.timezone = timezone
    if default_region is not _UNCHANGED:
        settings = {k: v for k, v in (org.settings or {}).items() if k != REGION_SETTING}
        org.settings = {**settings, REGION_SETTING: default_region} if default_region else settings
    if widget_responses_per_day is not _UNCHANGED:
        org.settings = {**(org.settings or {}), WIDGET_RESPONSES_SETTING: widget_responses_per_day}
    if contact_cap_days is not _UNCHANGED:
        org.settings = {**(org.settings or {}), CONTACT_CAP_SETTING: contact_cap_days}
    return org


def _whole_number(value: object, largest: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= largest


def create_user(email: str, org_id: int, password: str) -> User:
    """Create a manager login for an org."""
    get_org(org_id)
    email = email.strip().lower()
    if db.session.execute(select(User.id).where(User.email == email)).first():
        raise Conflict(f"a user {email} exists already", {"email": "is taken"})
    user = User(org_id=org_id, email=email, password_hash=generate_password_hash(password))
    db.session.add(user)
    db.session.flush()  # the user's id
    return user


def set_password(email: str, password: str, *, actor: str) -> User:
    """Give a manager a new password; the old one, and every session signed in with it, stop working."""
    user = db.session.execute(select(User).where(User.email == email.strip().lower())).scalar_one_or_none()
    if user is None:
        raise NotFound(f"No manager {email}.", {"email": "no manager has this email"})
    user.password_hash = generate_password_hash(password)
    user.session_version = User.session_version + 1
    audit.record(user.org_id, "password.changed", actor=actor, subject=user.email)
    return user


def authenticate_user(email: str, password: str) -> User | None:
    """Return the manager with this email and password, or None; as slow for an unknown email."""
    user = db.session.execute(select(User).where(User.email == email.strip().lower())).scalar_one_or_none()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)  # same work as a real check: no timing hint
        return None
    return user if check_password_hash(user.password_hash, password) else None


_DUMMY_HASH = generate_password_hash("not a password")


def user_for_session(session_id: str) -> User | None:
    """Return the manager a session names (`id.version`, User.get_id), or None once it has been ended."""
    named = _SESSION_ID.fullmatch(session_id)
    if named is None:
        return None
    user = db.session.get(User, int(named["user"]))
    return user if user is not None and user.session_version == int(named["version"]) else None


_SESSION_ID = re.compile(r"(?P<user>[0-9]{1,9})\.(?P<version>[0-9]{1,9})")


def set_user_locale(user_id: int, locale: str | None) -> None:
    """Keep the manager's dashboard language (one of i18n.LOCALES); None goes back to the browser's."""
    if locale is not None and locale not in LOCALES:
        raise Invalid(f"SurveyHub's dashboard is not translated to {locale!r}.",
                      {"locale": f"must be one of {', '.join(LOCALES)}, or empty for the browser's"})
    db.session.execute(update(User).where(User.id == user_id).values(locale=locale)
                       .execution_options(synchronize_session=False))


def end_sessions(user_id: int) -> None:
    """End every dashboard session of the manager (sign-out; set_password does the same)."""
    db.session.execute(update(User).where(User.id == user_id).values(session_version=User.session_version + 1)
                       .execution_options(synchronize_session=False))
