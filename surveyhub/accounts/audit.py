"""The security log: every rotation of a secret, recorded in the rotation's own transaction."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import AUDIT_ACTIONS, AuditEntry
from ..models.types import utcnow
from ..pagination import newest_first_page

# Who acts when a command is run on the server (there is no signed-in user there).
COMMAND_LINE = "command line"

# How the dashboard names each action.
def record(org_id: int, action: str, *, actor: str, subject: str | None = None,
           detail: dict | None = None) -> AuditEntry:
    """Add an entry to the org's security log (the caller commits). Never pass a secret."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(org_id=org_id, action=action, actor=actor, subject=subject, detail=detail or {},
                       occurred_at=utcnow())
    db.session.add(entry)
    return entry


def recent_entries(org_id: int, *, before: int | None, limit: int = 50) -> tuple[list[AuditEntry], int | None]:
    """Return a page of the org's security log, newest first, and the id the next page starts before."""
    query = select(AuditEntry).where(AuditEntry.org_id == org_id)
    return newest_first_page(query, AuditEntry.id, before=before, limit=limit)
