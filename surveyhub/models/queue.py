"""Columns that make a table a delivery queue (invitations, webhook deliveries, …).

A row is due when `status` is "queued" and `due_at` has passed; a worker claims it by setting
"sending" and a lease. A row still "sending" after its lease ran out belongs to a worker that died,
and is claimed again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

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
