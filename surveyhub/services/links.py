"""Signed links (itsdangerous): a salt per purpose, so one kind of token never works as another."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

SURVEY = "survey-link"
UNSUBSCRIBE = "unsubscribe"
PUBLIC = "public-survey-link"


class LinkInvalid(Exception):
    """The token was not made by this server for this purpose (tampered or mistyped)."""


@dataclass(frozen=True)
class SignedValue:
    value: dict
    issued_at: datetime

    def expired(self, ttl: timedelta) -> bool:
        """Tell whether the link is older than `ttl`."""
        return datetime.now(UTC) - self.issued_at > ttl


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def make_token(purpose: str, value: dict) -> str:
    """Sign `value` for one purpose."""
    return _serializer(purpose).dumps(value)


def read_token(purpose: str, token: str) -> SignedValue:
    """Check a token's signature and return what it carries with its age; LinkInvalid if it is bad.

    Expiry is left to the caller, which knows the survey's link_ttl_days.
    """
    try:
        value, issued_at = _serializer(purpose).loads(token, return_timestamp=True)
    except BadSignature:
        raise LinkInvalid(token) from None
    if not isinstance(value, dict):
        raise LinkInvalid(token)
    return SignedValue(value, issued_at)


def url(path: str) -> str:
    """Return an absolute URL on the public base URL."""
    return current_app.config["BASE_URL"] + path
