"""INSERT … ON CONFLICT for the two databases we run on (PostgreSQL and SQLite say it the same way).

Statements on hot paths are built once per table and dialect (functools.cache next to their use)
and executed with parameters, so SQLAlchemy compiles each once and psycopg prepares it.
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def insert_for(dialect_name: str):
    """Return the `insert` construct that has on_conflict_do_nothing/do_update for this dialect."""
    return pg_insert if dialect_name == "postgresql" else sqlite_insert
