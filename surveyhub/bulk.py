"""Bulk statements for the bulk paths (CSV imports, cascades, events): few statements however many rows.

`insert_rows` on PostgreSQL, for a batch (COPY_FROM rows or more), takes the rows' ids from the
table's sequence in one statement, then sends the rows with COPY … FROM STDIN (psycopg writes each
row in C, the server parses no INSERT): a batch of 500 rows costs half the CPU of one
`INSERT … SELECT FROM unnest(…)` and far less than SQLAlchemy's multi-row VALUES, whose text (a
parameter per value) psycopg parses in Python and the server plans anew for each batch size. A few
rows (one event), and SQLite, take SQLAlchemy's insert.
`any_of` is the same for lookups: `column = ANY(:array)`, one parameter, not an IN list of hundreds.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from sqlalchemy import JSON, ColumnElement, any_, bindparam, func, insert, inspect, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.expression import Select

from .extensions import Model, db

# From this many rows COPY (two round trips) is cheaper than one INSERT.
COPY_FROM = 20


def insert_rows(model: type[Model], rows: Sequence[dict[str, Any]], returning: Sequence[str] = ()) -> list[Any]:
    """Insert `rows` (dicts of the model's attributes, all with the same keys) and return `returning` of each.

    Columns a row leaves out get their Python default, as SQLAlchemy's insert gives them. The rows
    come back in no promised order: callers match them by a returned key.
    """
    if not rows:
        return []
    dialect = db.session.get_bind().dialect
    if dialect.name != "postgresql" or len(rows) < COPY_FROM:  # SQLAlchemy's insert gives the defaults itself
        if not returning:
            db.session.execute(insert(model), rows)
            return []
        attributes = inspect(model).attrs
        return list(db.session.execute(insert(model).returning(*(attributes[key].class_attribute
                                                                 for key in returning)), rows).all())
    db.session.flush()  # what the ORM's insert would do first: rows this one refers to may be pending
    given = sorted(rows[0])
    defaults = _defaults(model, given)
    keys = ["id", *given, *sorted(defaults)]
    ids = db.session.execute(_next_ids(model), {"n": len(rows)}).scalars().all()
    full = [{"id": row_id, **defaults, **row} for row_id, row in zip(ids, rows, strict=True)]
    convert = [_copy_value(model, key, dialect) for key in keys]
    names = ", ".join(f'"{_column(model, key).name}"' for key in keys)
    cursor = db.session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f'COPY "{model.__tablename__}" ({names}) FROM STDIN') as copy:
            for row in full:
                copy.write_row([to_copy(row[key]) for to_copy, key in zip(convert, keys, strict=True)])
    finally:
        cursor.close()
    return [tuple(row[key] for key in returning) for row in full] if returning else []


@functools.cache
def _next_ids(model: type[Model]) -> Select:
    """The next `:n` values of the table's id sequence (serial or identity), in one statement."""
    sequence = func.pg_get_serial_sequence(model.__tablename__, _column(model, "id").name)
    return select(func.nextval(sequence)).select_from(func.generate_series(1, bindparam("n")))


def _copy_value(model: type[Model], key: str, dialect: Any) -> Any:
    """How a value of the column goes into COPY: JSON as its text, others through the column type's
    own bind processing (timestamps made UTC, …), as an INSERT would send them."""
    column = _column(model, key)
    if _is_json(column):
        return json.dumps  # None too: a JSON null, as the ORM writes it
    process = column.type.bind_processor(dialect)
    return process or (lambda value: value)


def any_of(column: Any, values: Collection[Any]) -> ColumnElement[bool]:
    """`column IN values` for a batch's lookups: on PostgreSQL `column = ANY(:array)`, whose text and plan
    do not depend on how many values there are; elsewhere SQLAlchemy's IN."""
    if db.session.get_bind().dialect.name != "postgresql":
        return column.in_(values)
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))


@contextlib.contextmanager
def custom_plans() -> Iterator[None]:
    """Have PostgreSQL plan the lookups inside for their own parameters (PostgreSQL only).

    psycopg prepares a statement run five times, and the server may then keep one generic plan for
    it, chosen for the tables as they were: an import that starts on an empty org would go on with
    a plan made for a few rows (a scan of the whole org per batch once it holds 100,000 people).
    A batch's lookups are few and large, so planning each one costs little.

    Only the lookups: PostgreSQL's foreign-key checks are cached plans too, run once per inserted
    row, and planning each of those anew nearly doubled what a started cascade cost the server
    (0.21 -> 0.385 ms of CPU for its ten checks, four rows and their indexes). The setting
    is local to the transaction and given back on the way out (not after an error: the transaction
    is lost then, and the setting with it).
    """
    if db.session.get_bind().dialect.name != "postgresql":
        yield
        return
    before = db.session.execute(text("SELECT current_setting('plan_cache_mode'), "
                                     "set_config('plan_cache_mode', 'force_custom_plan', true)")).scalar_one()
    yield
    db.session.execute(text("SELECT set_config('plan_cache_mode', :before, true)"), {"before": before})


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
