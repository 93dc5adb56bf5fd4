"""Multi-row INSERTs for the bulk paths (CSV imports, cascades, events): one constant statement per table.

SQLAlchemy's multi-row insert writes a VALUES list with a parameter per value: a new text for each
batch size, which psycopg parses in Python (thousands of placeholders) and the server plans anew.
On PostgreSQL `insert_rows` sends `INSERT … SELECT FROM unnest(CAST(:c0 AS type[]), …)` instead: one
parameter per column (an array), a text that depends only on the table and its columns, so both
sides parse and plan it once however many rows. Elsewhere (SQLite) it is SQLAlchemy's insert.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Insert, Row, Text, bindparam, cast, func, insert, inspect, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY

from .extensions import Model, db


def insert_rows(model: type[Model], rows: Sequence[dict[str, Any]], returning: Sequence[str] = ()) -> list[Row]:
    """Insert `rows` (dicts of the model's attributes, all with the same keys) and return `returning` of each.

    Columns a row leaves out get their Python default, as SQLAlchemy's insert gives them. The rows
    come back in no promised order: callers match them by a returned key.
    """
    if not rows:
        return []
    dialect = db.session.get_bind().dialect
    if dialect.name != "postgresql":  # SQLAlchemy's insert, which gives the defaults itself
        if not returning:
            db.session.execute(insert(model), rows)
            return []
        attributes = inspect(model).attrs
        return list(db.session.execute(insert(model).returning(*(attributes[key].class_attribute
                                                                 for key in returning)), rows).all())
    columns = sorted(rows[0])
    defaults = _defaults(model, columns)
    keys = (*columns, *sorted(defaults))
    statement = _unnest_insert(model, keys, tuple(returning))
    params = {}
    for i, key in enumerate(keys):
        values = [defaults[key]] * len(rows) if key in defaults else [row[key] for row in rows]
        # JSON goes as its text (cast to jsonb[] by the statement): a list value would be read as an array.
        params[f"c{i}"] = [json.dumps(value) for value in values] if _is_json(_column(model, key)) else values
    db.session.flush()  # what the ORM's insert would do first: rows this one refers to may be pending
    result = db.session.execute(statement, params)
    return list(result.all()) if returning else []


def _is_json(column: Any) -> bool:
    return isinstance(column.type, JSON)


def _column(model: type[Model], key: str) -> Any:
    return inspect(model).columns[key]


def _defaults(model: type[Model], given: Sequence[str]) -> dict[str, Any]:
    """The Python defaults (scalar or callable) of the model's columns that `given` leaves out."""
    defaults: dict[str, Any] = {}
    for key, column in inspect(model).columns.items():
        default = column.default
        if key in given or column.primary_key or default is None:
            continue
        if getattr(default, "is_scalar", False):
            defaults[key] = default.arg  # type: ignore[attr-defined]
        elif getattr(default, "is_callable", False):
            defaults[key] = default.arg(None)  # type: ignore[attr-defined]
    return defaults


@functools.cache
def _unnest_insert(model: type[Model], keys: tuple[str, ...], returning: tuple[str, ...]) -> Insert:
    """PostgreSQL: the INSERT … SELECT * FROM unnest(…) of these columns, built once per table and columns."""
    columns = [_column(model, key) for key in keys]
    arrays = [cast(bindparam(f"c{i}", type_=ARRAY(Text if _is_json(column) else column.type)), ARRAY(column.type))
              for i, column in enumerate(columns)]
    statement = insert(model.__table__).from_select(
        [column.name for column in columns], select(literal_column("*")).select_from(func.unnest(*arrays)))
    return statement.returning(*(_column(model, key) for key in returning)) if returning else statement
