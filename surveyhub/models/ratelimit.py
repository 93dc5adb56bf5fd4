"""Rate-limit counters, shared by every process that serves the app (surveyhub.rate_limit_storage)."""

from __future__ import annotations

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model


class RateLimitCounter(Model):
    """One counter of the `limits` library: its key, its hits, and when it lapses (epoch seconds)."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
