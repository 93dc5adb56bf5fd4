"""How long a rotated-out secret keeps working: a grace period, judged by a clock the tests can move."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..errors import Invalid
from ..models.types import utcnow
from ..security import DEFAULT_GRACE_HOURS, MAX_GRACE_HOURS

__all__ = ["DEFAULT_GRACE_HOURS", "MAX_GRACE_HOURS", "as_text", "clock", "grace_ends", "in_grace"]


def clock() -> datetime:
    """Return the time grace periods are judged by (tests replace it; nothing sleeps)."""
    return utcnow()


def grace_ends(hours: int) -> datetime | None:
    """Return when a secret rotated out now stops working; None when it stops at once (0 hours)."""
    if not 0 <= hours <= MAX_GRACE_HOURS:
        raise Invalid(f"grace_hours must be 0 to {MAX_GRACE_HOURS}.",
                      {"grace_hours": f"must be between 0 and {MAX_GRACE_HOURS}"})
    return clock() + timedelta(hours=hours) if hours else None


def in_grace(ends_at: datetime | None) -> bool:
    """Tell whether a rotated-out secret whose grace ends at `ends_at` still works."""
    return ends_at is not None and clock() < ends_at


def as_text(ends_at: datetime | None) -> str | None:
    """Write when a grace ends as ISO 8601 in UTC ("…Z"), for the security log."""
    return ends_at.isoformat().replace("+00:00", "Z") if ends_at else None
