"""Opaque cursors for keyset pagination over ids."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from sqlalchemy import Select

from .errors import Invalid
from .extensions import db
from .inputs import MAX_ID


def encode_cursor(last_id: int) -> str:
    """Return the cursor that continues after the row with `last_id`."""
    return base64.urlsafe_b64encode(f"after:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """Return the id a cursor continues after; a malformed cursor is a 422 naming `cursor`."""
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind != "after" or not re.fullmatch(r"[0-9]{1,18}", value):
            raise ValueError(text)
        return min(int(value), MAX_ID)  # nothing comes after the largest id a row can have
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Invalid("The cursor is not valid.", {"cursor": "is not a cursor this API gave"}) from None


def newest_first_page(query: Select, id_column: Any, *, before: int | None, limit: int) -> tuple[list, int | None]:
    """Return a page of a log, newest first, from before the id `before`, and the id the next page starts before."""
    query = query.order_by(id_column.desc()).limit(limit + 1)
    if before is not None:
        query = query.where(id_column < before)
    rows = list(db.session.execute(query).scalars())
    page = rows[:limit]
    return page, page[-1].id if len(rows) > limit else None
