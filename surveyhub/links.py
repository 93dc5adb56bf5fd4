"""Signed links (itsdangerous): a salt per purpose, so one kind of token never works as another.

Every token the server signs is made here: the hosted page's (/s/), the public link's (/p/) and
unsubscribe's (/u/) and a theme notice's (/n/).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

SURVEY = "survey-link"
UNSUBSCRIBE = "unsubscribe"
PUBLIC = "public-survey-link"
NOTICE = "theme-notice"
# Links that never expire carry no timestamp: a survey's public URL is the same every time it is shown.
TIMELESS = frozenset({PUBLIC})


class LinkInvalid(Exception):
    """The token was not made by this server for this purpose (tampered or mistyped)."""


@dataclass(frozen=True)
class SignedValue:
    value: dict
    issued_at: datetime | None  # None for a timeless link

    def expired(self, ttl: timedelta) -> bool:
        """Tell whether the link is older than `ttl`."""
        return self.issued_at is not None and datetime.now(UTC) - self.issued_at > ttl


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def _timeless_serializer(purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def make_token(purpose: str, value: dict) -> str:
    """Sign `value` for one purpose (with the time it was issued, unless the purpose is timeless)."""
    if purpose in TIMELESS:
        return _timeless_serializer(purpose).dumps(value)
    return _serializer(purpose).dumps(value)


def _load(purpose: str, token: str) -> tuple[Any, datetime | None]:
    # Timed first: a timed token is also validly signed as an untimed one (its payload then ends in the
    # timestamp), while an untimed token fails the timed check for want of a timestamp. Timeless purposes
    # still read the timed links issued before they lost theirs.
    try:
        return _serializer(purpose).loads(token, return_timestamp=True)
    except BadSignature:
        if purpose not in TIMELESS:
            raise
    return _timeless_serializer(purpose).loads(token), None


def read_token(purpose: str, token: str) -> SignedValue:
    """Check a token's signature and return what it carries with its age; LinkInvalid if it is bad.

    Expiry is left to the caller, which knows the survey's link_ttl_days.
    """
    try:
        value, issued_at = _load(purpose, token)
    except BadSignature:
        raise LinkInvalid(token) from None
    if not isinstance(value, dict):
        raise LinkInvalid(token)
    return SignedValue(value, issued_at)


def url(path: str) -> str:
    """Return an absolute URL on the public base URL."""
    return current_app.config["BASE_URL"] + path


def survey_token(invitation_id: int) -> str:
    """Return the signed token naming an invitation on the hosted page."""
    return make_token(SURVEY, {"i": invitation_id})


def unsubscribe_token(invitation_id: int) -> str:
    """Return the signed token of an invitation's unsubscribe link."""
    return make_token(UNSUBSCRIBE, {"i": invitation_id})


def public_token(survey_id: int) -> str:
    """Return the token of a survey's public (anonymous, channel "web") link."""
    return make_token(PUBLIC, {"s": survey_id})


def public_url(survey_id: int) -> str:
    """Return the public link of a survey."""
    return url(f"/p/{public_token(survey_id)}")


def notice_token(notice_id: int) -> str:
    """Return the signed token of a theme notice's page (/n/)."""
    return make_token(NOTICE, {"n": notice_id})
