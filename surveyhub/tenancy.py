"""Tenant isolation's one rule for lookups by id: a row of another org is as unknown as a missing one."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select

from .errors import NotFound
from .extensions import db

Row = TypeVar("Row")


def org_row(model: type[Row], org_id: int, row_id: int, name: str) -> Row:
    """Return the org's `model` row with this id; another org's or an unknown id is NotFound ("No {name} {id}.")."""
    table: Any = model
    row = db.session.execute(select(model).where(table.id == row_id, table.org_id == org_id)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"No {name} {row_id}.")
    return row
