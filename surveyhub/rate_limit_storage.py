"""A `limits` storage in a SQL database, so that every process of a server shares its rate-limit counters.

The `limits` library (behind Flask-Limiter) keeps counters in process memory, Redis, Memcached or MongoDB.
The embedded default (SQLite) and a PostgreSQL deployment have none of those, and counters in memory are
per process: four gunicorn workers let four times the limit through. So this storage keeps them in the
table `rate_limit_counters` (models.ratelimit), registered with the `limits` storage registry under the
schemes `surveyhub+sqlite://…` and `surveyhub+postgresql[+psycopg]://…` (the rest is a SQLAlchemy URL).

It supports the fixed-window and sliding-window-counter strategies. Each call is one statement on an
engine of its own in autocommit (no BEGIN/COMMIT round trips), so a counter never waits for, or rolls
back with, a request's transaction: a widget write's four calls (hit, test, deduction, headers) are
four round trips.
"""

from __future__ import annotations

import functools
import hashlib
import os
import time

import sqlalchemy as sa
from limits.storage import SlidingWindowCounterSupport, Storage
from limits.storage.base import TimestampedSlidingWindow
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.schema import CreateIndex, CreateTable

from .models.ratelimit import RateLimitCounter
from .models.upsert import insert_for

SCHEME_PREFIX = "surveyhub+"
COUNTERS = RateLimitCounter.__table__
# Lapsed counters are deleted by the process that made this many increments since it last did.
PURGE_EVERY = 1000


def storage_uri_for(database_url: str) -> str:
    """Return the default rate-limit storage for an app on `database_url`.

    PostgreSQL: the app's own database. SQLite: a file of its own beside the app's (`x.db` →
    `x.ratelimits.db`), so that counting a request never queues for the app's one write lock, and never
    waits on a transaction the same request holds. An in-memory SQLite database has one process: memory.
    """
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            return "memory://"
        stem, dot, suffix = url.database.rpartition(".")
        database = f"{stem}.ratelimits.{suffix}" if dot else f"{url.database}.ratelimits"
        url = url.set(database=database)
    return SCHEME_PREFIX + url.render_as_string(hide_password=False)


def _row_key(key: str) -> str:
    """Keys embed what clients send (addresses, emails); long ones are stored by their digest."""
    return key if len(key) <= 200 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class DatabaseStorage(Storage, SlidingWindowCounterSupport, TimestampedSlidingWindow):
    """Rate-limit counters in a SQLite or PostgreSQL table, shared by all processes using it."""

    STORAGE_SCHEME = ["surveyhub+sqlite", "surveyhub+postgresql", "surveyhub+postgresql+psycopg"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: float | str | bool) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.url = uri.removeprefix(SCHEME_PREFIX)
        self._engine: Engine | None = None
        self._pid: int | None = None
        self._increments = 0

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def _engine_here(self) -> Engine:
        """This process's engine; a forked process (a gunicorn worker) opens its own connections."""
        if self._engine is None or self._pid != os.getpid():
            if self._engine is not None:
                self._engine.dispose(close=False)  # the parent's connections stay the parent's
            # Every call is one statement, atomic by itself: autocommit spares it a BEGIN and a COMMIT.
            engine = sa.create_engine(self.url, pool_pre_ping=True, execution_options={"isolation_level": "AUTOCOMMIT"})
            with engine.begin() as conn:
                # The app's migrations make the table in its own database; a database given only to the
                # counters (the SQLite default's file of its own) gets it here.
                conn.execute(CreateTable(COUNTERS, if_not_exists=True))
                for index in COUNTERS.indexes:
                    conn.execute(CreateIndex(index, if_not_exists=True))
            self._engine, self._pid = engine, os.getpid()
        return self._engine

    # --- fixed window -------------------------------------------------------------------------------

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add `amount` to the counter, starting it afresh (lasting `expiry` seconds) if it has lapsed."""
        with self._engine_here().begin() as conn:
            count = self._incr(conn, key, expiry, amount, time.time())
        self._purge_now_and_then()
        return count

    def get(self, key: str) -> int:
        with self._engine_here().connect() as conn:
            return self._get(conn, key, time.time())

    def get_expiry(self, key: str) -> float:
        now = time.time()
        with self._engine_here().connect() as conn:
            expires_at = conn.execute(sa.select(COUNTERS.c.expires_at).where(
                COUNTERS.c.key == _row_key(key), COUNTERS.c.expires_at > now)).scalar_one_or_none()
        return expires_at if expires_at is not None else now

    def check(self) -> bool:
        try:
            with self._engine_here().connect() as conn:
                conn.execute(sa.select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self._engine_here().begin() as conn:
            return conn.execute(sa.delete(COUNTERS)).rowcount

    def clear(self, key: str) -> None:
        with self._engine_here().begin() as conn:
            conn.execute(sa.delete(COUNTERS).where(COUNTERS.c.key == _row_key(key)))

    # --- sliding window counter ---------------------------------------------------------------------

    def acquire_sliding_window_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Count `amount` hits if the weighted count of this window and the last stays within `limit`.

        One statement: the current window's row is incremented only where the sum stays within the
        limit (an upsert whose WHERE sees the row as locked, PostgreSQL; SQLite: the whole file), so
        concurrent hits on one key queue and one that would go over changes nothing: the count never
        overshoots, whatever the number of processes.
        """
        if amount > limit:
            return False
        now = time.time()
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        with self._engine_here().connect() as conn:
            hits = conn.execute(_acquire_statement(conn.dialect.name), {
                "current_key": _row_key(current_key), "previous_key": _row_key(previous_key), "now": now,
                "amount": amount, "new_expiry": now + 2 * expiry, "below": limit + 1,
                "weight": _previous_ttl(expiry, now) / expiry}).scalar_one_or_none()
        self._purge_now_and_then()
        return hits is not None

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        now = time.time()
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        with self._engine_here().connect() as conn:
            hits = dict(conn.execute(sa.select(COUNTERS.c.key, COUNTERS.c.hits).where(
                COUNTERS.c.key.in_([_row_key(previous_key), _row_key(current_key)]),
                COUNTERS.c.expires_at > now)).all())
        previous = hits.get(_row_key(previous_key), 0)
        return (previous, _previous_ttl(expiry, now) if previous else 0.0, hits.get(_row_key(current_key), 0),
                (1 - ((now / expiry) % 1)) * expiry + expiry)

    def clear_sliding_window(self, key: str, expiry: int) -> None:
        for window_key in self.sliding_window_keys(key, expiry, time.time()):
            self.clear(window_key)

    # --- statements ---------------------------------------------------------------------------------

    @staticmethod
    def _incr(conn: Connection, key: str, expiry: float, amount: int, now: float) -> int:
        lapsed = COUNTERS.c.expires_at <= now
        statement = insert_for(conn.dialect.name)(COUNTERS).values(
            key=_row_key(key), hits=amount, expires_at=now + expiry)
        statement = statement.on_conflict_do_update(index_elements=[COUNTERS.c.key], set_={
            "hits": sa.case((lapsed, amount), else_=COUNTERS.c.hits + amount),
            "expires_at": sa.case((lapsed, now + expiry), else_=COUNTERS.c.expires_at),
        }).returning(COUNTERS.c.hits)
        return conn.execute(statement).scalar_one()

    @staticmethod
    def _get(conn: Connection, key: str, now: float) -> int:
        hits = conn.execute(sa.select(COUNTERS.c.hits).where(
            COUNTERS.c.key == _row_key(key), COUNTERS.c.expires_at > now)).scalar_one_or_none()
        return hits or 0

    def _purge_now_and_then(self) -> None:
        self._increments += 1
        if self._increments >= PURGE_EVERY:
            self._increments = 0
            with self._engine_here().begin() as conn:
                conn.execute(sa.delete(COUNTERS).where(COUNTERS.c.expires_at <= time.time()))


def _previous_ttl(expiry: int, now: float) -> float:
    """How much of the previous window still weighs, in seconds (as `limits`' own storages have it)."""
    return (1 - (((now - expiry) / expiry) % 1)) * expiry


@functools.cache
def _acquire_statement(dialect_name: str):
    """INSERT the current window's hits, or add them, where the previous window's weighted hits plus
    the current's stay below `below` (the limit + 1); RETURNING the hits, so no row means refused."""
    c = COUNTERS.c
    previous = COUNTERS.alias("previous")
    weighted = sa.func.coalesce(sa.select(previous.c.hits).where(
        previous.c.key == sa.bindparam("previous_key"), previous.c.expires_at > sa.bindparam("now"))
        .scalar_subquery(), 0) * sa.bindparam("weight", type_=sa.Float)
    amount, below = sa.bindparam("amount", type_=sa.Integer), sa.bindparam("below", type_=sa.Float)
    new_expiry = sa.bindparam("new_expiry", type_=sa.Float)
    source = sa.select(sa.bindparam("current_key", type_=sa.String), amount, new_expiry) \
        .where(weighted + amount < below)
    statement = insert_for(dialect_name)(COUNTERS).from_select(["key", "hits", "expires_at"], source)
    lapsed = c.expires_at <= sa.bindparam("now")
    hits = sa.case((lapsed, amount), else_=c.hits + amount)
    return statement.on_conflict_do_update(
        index_elements=[c.key], set_={"hits": hits, "expires_at": sa.case((lapsed, new_expiry), else_=c.expires_at)},
        where=weighted + hits < below,
    ).returning(c.hits)
