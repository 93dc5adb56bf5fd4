"""Orgs, API keys and managers."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from flask import current_app
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import Conflict, Invalid, NotFound
from ..extensions import db
from ..models import ApiKey, Org, User
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
from ..sms_logic import is_timezone


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
    db.session.commit()
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


def signing_secret(org: Org) -> str:
    """Return the org's signing secret in clear, for computing widget HMACs."""
    return decrypt_secret(org.signing_secret_encrypted, current_app.config["SECRET_KEY"])


# Where an org's default phone region is kept in `orgs.settings`.
REGION_SETTING = "default_region"
# How many widget responses one user may start per survey in 24 hours (0: no cap).
WIDGET_RESPONSES_SETTING = "widget_responses_per_day"
DEFAULT_WIDGET_RESPONSES_PER_DAY = 5
MAX_WIDGET_RESPONSES_PER_DAY = 10_000


def widget_responses_cap(org: Org) -> int:
    """Return the org's cap on widget responses per user, survey and day (0: none)."""
    return int((org.settings or {}).get(WIDGET_RESPONSES_SETTING, DEFAULT_WIDGET_RESPONSES_PER_DAY))


def get_org(org_id: int) -> Org:
    """Return an org, or raise NotFound."""
    org = db.session.get(Org, org_id)
    if org is None:
        raise NotFound(f"No org {org_id}.", {"org": "no such org"})
    return org


def describe(org: Org) -> dict:
    """The org's settings as the API and the CLI show them."""
    return {"id": org.id, "name": org.name, "timezone": org.timezone or "UTC",
            "default_region": (org.settings or {}).get(REGION_SETTING),
            "widget_responses_per_day": widget_responses_cap(org)}


_UNCHANGED = object()


def update_settings(org: Org, *, timezone: str | object = _UNCHANGED,
                    default_region: str | None | object = _UNCHANGED,
                    widget_responses_per_day: int | object = _UNCHANGED) -> Org:
    """Change the org's timezone (IANA name: quiet hours of people without one), default phone
    region (ISO 3166 code: how national numbers such as 012-345 6789 are read; None: none) and cap on
    widget responses one user starts per survey and day (0: none). Commits.

    Everything is checked before anything is written.
    """
    errors = {}
    if timezone is not _UNCHANGED and not is_timezone(timezone):
        errors["timezone"] = "is not an IANA timezone such as Asia/Kuala_Lumpur"
    if default_region is not _UNCHANGED and default_region is not None:
        default_region = default_region.strip().upper()
        if default_region not in phonenumbers.SUPPORTED_REGIONS:
            errors["default_region"] = "is not a region code such as MY, ID or SG"
    if widget_responses_per_day is not _UNCHANGED and not (
            isinstance(widget_responses_per_day, int) and not isinstance(widget_responses_per_day, bool)
            and 0 <= widget_responses_per_day <= MAX_WIDGET_RESPONSES_PER_DAY):
        errors["widget_responses_per_day"] = f"must be a whole number from 0 to {MAX_WIDGET_RESPONSES_PER_DAY}"
    if errors:
        raise Invalid("; ".join(f"{name} {problem}" for name, problem in errors.items()) + ".", errors)
    if timezone is not _UNCHANGED:
        org.timezone = timezone
    if default_region is not _UNCHANGED:
        settings = {k: v for k, v in (org.settings or {}).items() if k != REGION_SETTING}
        org.settings = {**settings, REGION_SETTING: default_region} if default_region else settings
    if widget_responses_per_day is not _UNCHANGED:
        org.settings = {**(org.settings or {}), WIDGET_RESPONSES_SETTING: widget_responses_per_day}
    db.session.commit()
    return org


def create_user(email: str, org_id: int, password: str) -> User:
    """Create a manager login for an org."""
    get_org(org_id)
    email = email.strip().lower()
    if db.session.execute(select(User.id).where(User.email == email)).first():
        raise Conflict(f"a user {email} exists already", {"email": "is taken"})
    user = User(org_id=org_id, email=email, password_hash=generate_password_hash(password))
    db.session.add(user)
    db.session.commit()
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


def end_sessions(user_id: int) -> None:
    """End every dashboard session of the manager (sign-out; a password change should too). Commits."""
    db.session.execute(update(User).where(User.id == user_id).values(session_version=User.session_version + 1)
                       .execution_options(synchronize_session=False))
    db.session.commit()
