"""A `limits` storage in a SQL database, so that every process of a server shares its rate-limit counters.

The `limits` library (behind Flask-Limiter) keeps counters in process memory, Redis, Memcached or MongoDB.
The embedded default (SQLite) and a PostgreSQL deployment have none of those, and counters in memory are
per process: four gunicorn workers let four times the limit through. So this storage keeps them in the
table `rate_limit_counters` (models.ratelimit), registered with the `limits` storage registry under the
schemes `surveyhub+sqlite://…` and `surveyhub+postgresql[+psycopg]://…` (the rest is a SQLAlchemy URL).

It supports the fixed-window and sliding-window-counter strategies. Each call runs in a transaction of its
own, on an engine of its own, so a counter never waits for, or rolls back with, a request's transaction.
"""

from __future__ import annotations

import hashlib
import os
import time
from math import floor

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
            engine = sa.create_engine(self.url, pool_pre_ping=True)
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

        The increment locks the current window's row until the transaction ends (SQLite: the whole
        file), so concurrent hits on one key queue, and one that would go over is rolled back, not
        subtracted later: the count never overshoots, whatever the number of processes.
        """
        if amount > limit:
            return False
        now = time.time()
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        with self._engine_here().connect() as conn:
            current = self._incr(conn, current_key, 2 * expiry, amount, now)
            previous, previous_ttl = self._previous_window(conn, previous_key, expiry, now)
            if floor(previous * previous_ttl / expiry + current) > limit:
                conn.rollback()
                return False
            conn.commit()
        self._purge_now_and_then()
        return True

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        now = time.time()
        previous_key, current_key = self.sliding_window_keys(key, expiry, now)
        with self._engine_here().connect() as conn:
            previous, previous_ttl = self._previous_window(conn, previous_key, expiry, now)
            current = self._get(conn, current_key, now)
        return previous, previous_ttl, current, (1 - ((now / expiry) % 1)) * expiry + expiry

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

    def _previous_window(self, conn: Connection, key: str, expiry: int, now: float) -> tuple[int, float]:
        """The previous window's count and how much of it still weighs (as `limits`' own storages do)."""
        previous = self._get(conn, key, now)
        return previous, (1 - (((now - expiry) / expiry) % 1)) * expiry if previous else 0.0

    def _purge_now_and_then(self) -> None:
        self._increments += 1
        if self._increments >= PURGE_EVERY:
            self._increments = 0
            with self._engine_here().begin() as conn:
                conn.execute(sa.delete(COUNTERS).where(COUNTERS.c.expires_at <= time.time()))
