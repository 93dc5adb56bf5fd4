"""Organisations (tenants), their API keys and their managers."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import JSONType, UTCDateTime, utcnow

# The most widget responses one user may be allowed to start per survey in 24 hours (org setting
# widget_responses_per_day; 0 turns the cap off). Here because the API's schema and the service share it.
MAX_WIDGET_RESPONSES_PER_DAY = 10_000
# The longest fatigue window (org setting contact_cap_days, CONTRACT §9; 0 turns it off).
MAX_CONTACT_CAP_DAYS = 3650


class Org(Model):
    __tablename__ = "orgs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Public: embedded in customers' pages to identify the org to the widget.
    widget_key: Mapped[str] = mapped_column(String(64), unique=True)
    # Needed in clear to compute widget HMACs, so encrypted (Fernet) rather than hashed.
    signing_secret_encrypted: Mapped[str] = mapped_column(String(500))
    # The signing secret rotated out, still verifying userHash until its grace ends (both None: none).
    previous_signing_secret_encrypted: Mapped[str | None] = mapped_column(String(500))
    previous_signing_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    settings: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    api_keys: Mapped[list[ApiKey]] = relationship(back_populates="org", cascade="all, delete-orphan")


class ApiKey(Model):
    """A secret API key, kept only as its SHA-256; the prefix finds the row without the secret."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Org] = relationship(back_populates="api_keys")


class User(UserMixin, Model):
    """A manager who signs in to the dashboard (UserMixin: what Flask-Login asks of a user)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    # Part of the id a session cookie carries: raising it (sign-out, a new password) ends every session.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The dashboard's language the manager chose (one of i18n.LOCALES); None: their browser's.
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org: Mapped[Org] = relationship()

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session: the user's id and session version, `12.3`."""
        return f"{self.id}.{self.session_version}"
