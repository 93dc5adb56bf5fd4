"""The delivery engine: queue tables claimed in batches by any number of workers.

A job kind is a table with the queue columns (models/queue.py) and a function that processes the
rows a worker claimed. Invitations by email are one kind; SMS and webhook deliveries add their own
with `register_kind(app, JobKind(...))` in the factory. A kind's `process(ids, worker)` loads its
rows and hands them to `each`, which sends them one by one and sees to what every kind needs alike:
stopping (`release` the rows not started), renewing the batch's lease, pausing a channel that can't
be reached, and failing one row — not the batch — for an error of any type. A row's outcome is
`finish` (done), `fail` (for good), `retry_later` (a transient answer) or `hold` (waiting, no
attempt spent). Claims are one statement: `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)` on
PostgreSQL, so workers on many machines never share a row; on SQLite the same statement runs under
the write lock that `BEGIN IMMEDIATE` takes, which makes it a compare-and-set.

Every claim carries a short lease, renewed while the batch runs. A worker that dies leaves its rows
"sending" until the lease runs out; then any worker claims them again (counting an error). Outcomes
are written only while the row is still this worker's claim, so a worker that lost its lease (paused
too long) cannot overwrite the new owner's result.

Giving up: a permanent answer fails a row at once; a transient answer is retried with backoff until
DELIVERY_GIVE_UP_HOURS after the row was queued; an outage (the server can't be reached) pauses its
channel — rows wait without spending attempts, one probe at a time goes out with backoff — until
the same limit; a row whose attempts end in an unexpected error (or a dead worker) `max_errors`
times is retired. All of it is judged by `clock()`, which tests move.
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
from sqlalchemy import and_, case, delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db, rowcount
from ..models import DeliveryPause
from ..models.types import utcnow

log = logging.getLogger(__name__)


def clock() -> datetime:
    """Return the engine's time: claims, leases, backoffs, pauses and giving up are judged by it."""
    return utcnow()


@dataclass(frozen=True)
class JobKind:
    """One kind of queued work: its table, how to process claimed rows, and its limits."""

    name: str
    model: Any
    process: Callable[[Sequence[int], Worker], None]
    batch_size: int = 100
    # Short, and renewed while a batch runs: a dead worker's rows come back within this.
    lease: timedelta = timedelta(seconds=90)
    # Attempts ending in an unexpected error (or a dead worker) before a row is retired.
    max_errors: int = 5
    # Extra SQL condition for rows of this kind in a shared table (e.g. Invitation.channel == "email").
    condition: Any = None
    # The column giving up is counted from (when the row was queued, or asked to be sent).
    since: Any = None
    # Called (inside the transaction) for each row that fails for good: events, counters.
    on_failed: Callable[[int, str], None] | None = None


class Outage(Exception):
    """The channel's server could not be reached (refused, timed out, DNS): pause it, spend no attempt."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def register_kind(app: Flask, kind: JobKind) -> None:
    """Add a job kind that the app's workers run (called by the factory)."""
    app.extensions.setdefault("surveyhub.job_kinds", {})[kind.name] = kind


def registered_kinds(app: Flask | None = None) -> list[JobKind]:
    """Return the app's job kinds in the order they were registered."""
    return list((app or current_app).extensions.get("surveyhub.job_kinds", {}).values())


def claim(kind: JobKind, worker_id: str, limit: int | None = None) -> list[int]:
    """Claim up to `limit` due rows of a kind for this worker; return their ids (committed).

    A row taken back from a dead worker (its lease ran out) counts an error; one at `max_errors` is
    retired (failed) instead of being handed out again.
    """
    model = kind.model
    now = clock()
    due = or_(and_(model.status == "queued", model.due_at <= now),
              and_(model.status == "sending", model.lease_until < now))
    if kind.condition is not None:
        due = and_(due, kind.condition)
    candidates = (select(model.id).where(due).order_by(model.due_at).limit(limit or kind.batch_size)
                  .with_for_update(skip_locked=True))
    claimed = db.session.execute(
        update(model).where(model.id.in_(candidates.scalar_subquery()))
        .values(status="sending", lease_until=now + kind.lease, claimed_by=worker_id, attempts=model.attempts + 1,
                errors=case((model.status == "sending", model.errors + 1), else_=model.errors))
        .returning(model.id, model.errors, model.last_error)
        .execution_options(synchronize_session=False)
    ).all()
    ids = []
    for row_id, errors, last_error in claimed:
        if errors >= kind.max_errors:
            fail(kind, row_id, worker_id, f"gave up after {errors} errors: {last_error or 'worker lost'}")
        else:
            ids.append(row_id)
    db.session.commit()
    return sorted(ids)


def _mine(model, row_id: int, worker_id: str):
    return and_(model.id == row_id, model.status == "sending", model.claimed_by == worker_id)


def finish(kind: JobKind, row_id: int, worker_id: str, status: str, **values: Any) -> bool:
    """Record a final outcome for a claimed row; False if the claim was lost meanwhile. The caller commits."""
    model = kind.model
    done = rowcount(
        update(model).where(_mine(model, row_id, worker_id))
        .values(status=status, lease_until=None, **values).execution_options(synchronize_session=False)
    )
    return bool(done)


def fail(kind: JobKind, row_id: int, worker_id: str, reason: str, **values: Any) -> bool:
    """Fail a claimed row for good, with the kind's consequences (events, counters). The caller commits."""
    failed = finish(kind, row_id, worker_id, "failed", last_error=reason[:500], **values)
    if failed and kind.on_failed is not None:
        kind.on_failed(row_id, reason)
    return failed


def backoff(attempts: int, cap: float | None = None) -> timedelta:
    """Return the wait before attempt `attempts + 1`: exponential, capped, with jitter."""
    base = current_app.config["DELIVERY_RETRY_BASE_SECONDS"]
    cap = current_app.config["DELIVERY_RETRY_MAX_SECONDS"] if cap is None else cap
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return timedelta(seconds=random.uniform(delay / 2, delay))  # noqa: S311 - jitter, not security


def _given_up(kind: JobKind, row_id: int) -> bool:
    """Tell whether a row has waited longer than DELIVERY_GIVE_UP_HOURS since it was queued."""
    if kind.since is None:
        return False
    since = db.session.execute(select(kind.since).where(kind.model.id == row_id)).scalar_one_or_none()
    limit = timedelta(hours=current_app.config["DELIVERY_GIVE_UP_HOURS"])
    return since is not None and clock() >= since + limit


def _give_up_reason() -> str:
    return f"gave up after {current_app.config['DELIVERY_GIVE_UP_HOURS']:g} h"


def retry_later(kind: JobKind, row_id: int, worker_id: str, reason: str) -> str:
    """Put a claimed row back with a backoff after a transient answer, or fail it past the give-up time.

    Returns the new status ("queued" or "failed"). The caller commits.
    """
    if _given_up(kind, row_id):
        fail(kind, row_id, worker_id, f"{_give_up_reason()}: {reason}")
        return "failed"
    model = kind.model
    attempts = db.session.execute(select(model.attempts).where(model.id == row_id)).scalar_one()
    db.session.execute(
        update(model).where(_mine(model, row_id, worker_id))
        .values(status="queued", due_at=clock() + backoff(attempts), lease_until=None, claimed_by=None,
                last_error=reason[:500]).execution_options(synchronize_session=False)
    )
    return "queued"


def record_error(kind: JobKind, row_id: int, worker_id: str, reason: str) -> str:
    """Count an unexpected error of a claimed row: retried with backoff, retired at `max_errors`. Commits."""
    model = kind.model
    errors = db.session.execute(select(model.errors).where(_mine(model, row_id, worker_id))).scalar_one_or_none()
    if errors is None:  # finished meanwhile, or no longer this worker's
        db.session.commit()
        return "lost"
    if errors + 1 >= kind.max_errors:
        fail(kind, row_id, worker_id, f"gave up after {errors + 1} errors: {reason}", errors=errors + 1)
        status = "failed"
    else:
        db.session.execute(
            update(model).where(_mine(model, row_id, worker_id))
            .values(status="queued", due_at=clock() + backoff(errors + 1), lease_until=None, claimed_by=None,
                    errors=errors + 1, last_error=reason[:500]).execution_options(synchronize_session=False)
        )
        status = "queued"
    db.session.commit()
    return status


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


def hold(kind: JobKind, row_ids: Sequence[int], worker_id: str, until: datetime, reason: str) -> None:
    """Keep claimed rows waiting for their paused channel, no attempt spent; fail those past the give-up time.

    Commits.
    """
    if not row_ids:
        return
    model = kind.model
    expired = set()
    if kind.since is not None:
        cutoff = clock() - timedelta(hours=current_app.config["DELIVERY_GIVE_UP_HOURS"])
        expired = set(db.session.execute(
            select(model.id).where(model.id.in_(row_ids), kind.since <= cutoff)).scalars())
    for row_id in sorted(expired):
        fail(kind, row_id, worker_id, f"{_give_up_reason()}: {reason}")
    waiting = [i for i in row_ids if i not in expired]
    if waiting:
        db.session.execute(
            update(model).where(model.id.in_(waiting), model.status == "sending", model.claimed_by == worker_id)
            .values(status="queued", due_at=until, lease_until=None, claimed_by=None, attempts=model.attempts - 1,
                    last_error=f"waiting: {reason}"[:500]).execution_options(synchronize_session=False)
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


def renew(kind: JobKind, row_ids: Sequence[int], worker_id: str) -> None:
    """Extend the lease of the rows this worker still holds (a long batch keeps its claim). Commits."""
    if not row_ids:
        return
    model = kind.model
    db.session.execute(
        update(model).where(model.id.in_(row_ids), model.status == "sending", model.claimed_by == worker_id)
        .values(lease_until=clock() + kind.lease).execution_options(synchronize_session=False)
    )
    db.session.commit()


# --- paused channels ------------------------------------------------------------------------------

def paused_until(channel: str, lease: timedelta) -> tuple[datetime | None, bool]:
    """Tell whether a channel may be used now: (None, probing) if so, else (when to look again, False).

    A channel without a pause is open. Once its pause has run out, the first worker to ask takes the
    probe (for `lease`) and may send one row; the others wait. Commits.
    """
    pause = db.session.get(DeliveryPause, channel)
    now = clock()
    if pause is None:
        db.session.commit()
        return None, False
    if pause.paused_until > now:
        until = pause.paused_until
        db.session.commit()
        return until, False
    took = rowcount(
        update(DeliveryPause).where(DeliveryPause.channel == channel, DeliveryPause.paused_until <= now,
                                    or_(DeliveryPause.probe_until.is_(None), DeliveryPause.probe_until < now))
        .values(probe_until=now + lease).execution_options(synchronize_session=False)
    )
    db.session.commit()
    if took:
        return None, True
    return now + timedelta(seconds=current_app.config["DELIVERY_RETRY_BASE_SECONDS"]), False


def channel_down(channel: str, reason: str) -> datetime:
    """Pause a channel that could not be reached, longer after each failed probe; return until when. Commits."""
    db.session.commit()
    cap = current_app.config["DELIVERY_PROBE_MAX_SECONDS"]
    for _ in range(2):  # a second worker may insert the same channel's pause at the same moment
        pause = db.session.get(DeliveryPause, channel, with_for_update=True)
        now = clock()
        if pause is None:
            until = now + backoff(1, cap)
            db.session.add(DeliveryPause(channel=channel, paused_until=until, failures=1, last_error=reason[:500],
                                         since=now))
        else:
            if pause.probe_until is not None or pause.paused_until <= now:  # a probe failed: back off further
                pause.failures += 1
            pause.paused_until = until = max(pause.paused_until, now + backoff(pause.failures, cap))
            pause.probe_until = None
            pause.last_error = reason[:500]
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        log.warning("delivery channel %s paused until %s: %s", channel, until.isoformat(), reason)
        return until
    raise RuntimeError(f"could not pause channel {channel}")


def channel_up(channel: str) -> None:
    """Open a channel again: a probe got through. Commits."""
    if rowcount(delete(DeliveryPause).where(DeliveryPause.channel == channel)):
        log.info("delivery channel %s is back", channel)
    db.session.commit()


def each(kind: JobKind, items: Sequence[Any], worker: Worker, send: Callable[[Any], None],
         channel: Callable[[Any], str]) -> None:
    """Send claimed items (each with an `id`) one by one with `send`, which records the outcome.

    Stops when the worker is asked to (releasing the rest), renews the batch's lease as it goes,
    holds items whose channel is paused, pauses a channel when `send` raises Outage, and fails an
    item alone — logged, retried, retired at `max_errors` — when `send` raises anything else.
    """
    renewed = clock()
    paused: dict[str, tuple[datetime, str]] = {}  # channels found paused in this batch: until, why
    held: dict[str, list[int]] = {}
    usable: set[str] = set()  # channels this batch has found open: not asked again
    try:
        for index, item in enumerate(items):
            if worker.should_stop():
                release(kind, [i.id for i in items[index:]], worker.worker_id)
                return
            if clock() - renewed >= kind.lease / 3:
                renew(kind, [i.id for i in items], worker.worker_id)  # the held ones too: they are still ours
                renewed = clock()
            key = channel(item)
            if key in paused:
                held.setdefault(key, []).append(item.id)
                continue
            try:
                wait, probing = (None, False) if key in usable else paused_until(key, kind.lease)
                if wait is not None:
                    paused[key] = (wait, f"{key} is paused")
                    held.setdefault(key, []).append(item.id)
                    continue
                try:
                    send(item)
                except Outage as outage:
                    db.session.rollback()
                    usable.discard(key)
                    paused[key] = (channel_down(key, outage.reason), outage.reason)
                    held.setdefault(key, []).append(item.id)
                    continue
                if probing:
                    channel_up(key)
                usable.add(key)
            except Exception as err:  # noqa: BLE001 - one row's trouble, whatever it is, is that row's alone
                db.session.rollback()
                log.exception("%s row %s: %s", kind.name, item.id, type(err).__name__)
                record_error(kind, item.id, worker.worker_id, f"{type(err).__name__}: {err}")
    finally:
        for key, row_ids in held.items():
            hold(kind, row_ids, worker.worker_id, *paused[key])


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
                except Exception as err:  # noqa: BLE001 - loading the batch failed: each row counts an error
                    log.exception("%s: processing a batch failed", kind.name)
                    db.session.rollback()
                    for row_id in ids:
                        record_error(kind, row_id, self.worker_id, f"{type(err).__name__}: {err}")
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
