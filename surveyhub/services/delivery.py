"""The delivery engine: queue tables claimed in batches by any number of workers.

A job kind is a table with the queue columns (models/queue.py) and a function that processes the
rows a worker claimed. Invitations by email are one kind; SMS and webhook deliveries add their own
with `register_kind(app, JobKind(...))` in the factory. A kind's `process(ids, worker)` loads its
rows, does the work, and for each row calls `finish` (done or failed for good) or `retry_later`
(transient trouble), committing as it goes; it checks `worker.should_stop()` between rows and
`release`s the ones it did not start. Claims are one statement: `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP
LOCKED)` on PostgreSQL, so workers on many machines never share a row; on SQLite the same statement
runs under the write lock that `BEGIN IMMEDIATE` takes, which makes it a compare-and-set.

Every claim carries a lease. A worker that dies leaves its rows "sending" until the lease runs out;
then any worker claims them again. Outcomes are written only while the row is still this worker's
claim, so a worker that lost its lease (paused too long) cannot overwrite the new owner's result.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import and_, or_, select, update

from ..extensions import db
from ..models.types import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobKind:
    """One kind of queued work: its table, how to process claimed rows, and its limits."""

    name: str
    model: Any
    process: Callable[[Sequence[int], Worker], None]
    batch_size: int = 100
    lease: timedelta = timedelta(minutes=5)
    max_attempts: int = 8
    # Extra SQL condition for rows of this kind in a shared table (e.g. Invitation.channel == "email").
    condition: Any = None


def register_kind(app: Flask, kind: JobKind) -> None:
    """Add a job kind that the app's workers run (called by the factory)."""
    app.extensions.setdefault("surveyhub.job_kinds", {})[kind.name] = kind


def registered_kinds(app: Flask | None = None) -> list[JobKind]:
    """Return the app's job kinds in the order they were registered."""
    return list((app or current_app).extensions.get("surveyhub.job_kinds", {}).values())


def claim(kind: JobKind, worker_id: str, limit: int | None = None) -> list[int]:
    """Claim up to `limit` due rows of a kind for this worker; return their ids (committed)."""
    model = kind.model
    now = utcnow()
    due = or_(and_(model.status == "queued", model.due_at <= now),
              and_(model.status == "sending", model.lease_until < now))
    if kind.condition is not None:
        due = and_(due, kind.condition)
    candidates = (select(model.id).where(due).order_by(model.due_at).limit(limit or kind.batch_size)
                  .with_for_update(skip_locked=True))
    claimed = db.session.execute(
        update(model).where(model.id.in_(candidates.scalar_subquery()))
        .values(status="sending", lease_until=now + kind.lease, claimed_by=worker_id, attempts=model.attempts + 1)
        .returning(model.id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    db.session.commit()
    return sorted(claimed)


def _mine(model, row_id: int, worker_id: str):
    return and_(model.id == row_id, model.status == "sending", model.claimed_by == worker_id)


def finish(kind: JobKind, row_id: int, worker_id: str, status: str, **values: Any) -> bool:
    """Record a final outcome for a claimed row; False if the claim was lost meanwhile. The caller commits."""
    model = kind.model
    done = db.session.execute(
        update(model).where(_mine(model, row_id, worker_id))
        .values(status=status, lease_until=None, **values).execution_options(synchronize_session=False)
    ).rowcount
    return bool(done)


def backoff(attempts: int) -> timedelta:
    """Return the wait before attempt `attempts + 1`: exponential, capped, with jitter."""
    base = current_app.config["DELIVERY_RETRY_BASE_SECONDS"]
    cap = current_app.config["DELIVERY_RETRY_MAX_SECONDS"]
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return timedelta(seconds=random.uniform(delay / 2, delay))  # noqa: S311 - jitter, not security


def retry_later(kind: JobKind, row_id: int, worker_id: str, attempts: int, reason: str) -> str:
    """Put a claimed row back with a backoff after a transient failure, or fail it past the limit.

    Returns the new status ("queued" or "failed"). The caller commits.
    """
    if attempts >= kind.max_attempts:
        finish(kind, row_id, worker_id, "failed", last_error=f"gave up after {attempts} attempts: {reason}"[:500])
        return "failed"
    model = kind.model
    db.session.execute(
        update(model).where(_mine(model, row_id, worker_id))
        .values(status="queued", due_at=utcnow() + backoff(attempts), lease_until=None, claimed_by=None,
                last_error=reason[:500]).execution_options(synchronize_session=False)
    )
    return "queued"


def postpone(kind: JobKind, row_id: int, worker_id: str, due_at: datetime) -> None:
    """Hand back a claimed row untouched until `due_at`: waiting (quiet hours, a busy phone) is not a
    failed attempt. Commits."""
    model = kind.model
    db.session.execute(
        update(model).where(_mine(model, row_id, worker_id))
        .values(status="queued", due_at=due_at, lease_until=None, claimed_by=None, attempts=model.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def release(kind: JobKind, row_ids: Sequence[int], worker_id: str) -> None:
    """Hand back claimed rows untouched (shutdown): due now, the attempt not counted. Commits."""
    if not row_ids:
        return
    model = kind.model
    db.session.execute(
        update(model).where(model.id.in_(row_ids), model.status == "sending", model.claimed_by == worker_id)
        .values(status="queued", lease_until=None, claimed_by=None, attempts=model.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


@dataclass
class Worker:
    """Runs every registered job kind until stopped; one per `surveyhub worker` process or thread."""

    app: Flask
    poll_interval: float = 1.0
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}")
    stop_event: threading.Event = field(default_factory=threading.Event)

    def should_stop(self) -> bool:
        """Tell a job kind to stop after the message in hand."""
        return self.stop_event.is_set()

    def stop(self) -> None:
        """Ask the worker to finish the message in hand, release the rest and return."""
        self.stop_event.set()

    def run_once(self) -> int:
        """Claim and process one batch of each kind; return how many rows were claimed."""
        total = 0
        for kind in registered_kinds(self.app):
            if self.should_stop():
                break
            ids = claim(kind, self.worker_id)
            total += len(ids)
            if ids:
                try:
                    kind.process(ids, self)
                except Exception:
                    log.exception("%s: processing a batch failed; its rows are retried after their lease",
                                  kind.name)
                    db.session.rollback()
        return total

    def run(self) -> None:
        """Work until stopped: batches back to back while there is work, polling when there is none."""
        log.info("worker %s started (%s)", self.worker_id, ", ".join(k.name for k in registered_kinds(self.app)))
        with self.app.app_context():
            while not self.should_stop():
                try:
                    claimed = self.run_once()
                except Exception:
                    log.exception("worker loop error; retrying after a pause")
                    db.session.rollback()
                    claimed = 0
                finally:
                    db.session.remove()
                if not claimed:
                    self.stop_event.wait(self.poll_interval)
        log.info("worker %s stopped", self.worker_id)


def start_embedded_worker(app: Flask) -> Worker:
    """Run a worker in a daemon thread of this process (the embedded SQLite default)."""
    worker = Worker(app)
    threading.Thread(target=worker.run, name="surveyhub-worker", daemon=True).start()
    return worker
