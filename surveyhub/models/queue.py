"""Columns that make a table a delivery queue (invitations, webhook deliveries, …).

A row is due when `status` is "queued" and `due_at` has passed; a worker claims it by setting
"sending" and a lease. A row still "sending" after its lease ran out belongs to a worker that died,
and is claimed again. A channel that can't be reached (an SMTP server, Twilio, one webhook host) is
paused in `delivery_pauses` instead of spending its rows' attempts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class QueueMixin:
    """Queue columns; a model using it indexes ("status", "due_at") for the claim."""

    status: Mapped[str] = mapped_column(String(16), default="queued")
    # When the next attempt may run: the requested send time, then each retry's backoff.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(String(500))
    # Attempts that ended in an unexpected error or in nothing (the worker died holding the row).
    errors: Mapped[int] = mapped_column(default=0, server_default="0")


class DeliveryPause(Model):
    """A channel found unreachable: nothing is sent on it until `paused_until`, then one probe at a time."""

    __tablename__ = "delivery_pauses"

    # "email", "sms", or "webhook:<scheme>://<host>:<port>".
    channel: Mapped[str] = mapped_column(String(300), primary_key=True)
    paused_until: Mapped[datetime] = mapped_column(UTCDateTime)
    # Probes that failed in a row: the next pause's backoff grows with it.
    failures: Mapped[int] = mapped_column(default=1)
    # While a worker probes, no other one does (until this lease runs out).
    probe_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
