"""One unit of work per request, CLI command or job: commit once at its edge, roll back if it fails.

Services never commit or roll back; they `flush()` where they need ids, and take a savepoint
(`db.session.begin_nested()`) around an insert that may race a concurrent one, so that losing the
race never throws away the caller's work. The edge — a view, a command, a job of the worker — runs
the services it calls inside `unit_of_work()`:

    with unit_of_work():
        response = widget.answer(visitor, ...)

or, for a view that is nothing but its unit of work, as a decorator: `@unit_of_work()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .extensions import db


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Run the block as one transaction: commit when it ends, roll back (and re-raise) if it raises."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
