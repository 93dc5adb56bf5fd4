"""The delivery engine: queue tables claimed in batches by any number of workers, one batch runner.

A job kind (`JobKind`) is a table with the queue columns (models/queue.py) and the steps of one row:
`load` the claimed rows as plain snapshots, `prepare` one (cancel, postpone, reserve), `send` it
(outside any transaction) and `record` the outcome. The runner (`run_batch`) does the rest for every
kind alike: it loads and commits, sends the rows one by one and commits each outcome, stops when asked
(`release` the rows not started), renews the batch's lease, pauses a channel that can't be reached,
and fails one row — not the batch — for an error of any type. The kinds register with
`register_kind(app, JobKind(...))` in the factory; docs/delivery.md says how to add one. A row's
outcome is `finish` (done), `fail` (for good), `retry_later` (a transient answer), `postpone` (not
yet) or `hold` (waiting for its channel, no attempt spent). Claims are one statement:
`UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)` on PostgreSQL, so workers on many machines
never share a row; on SQLite the same statement runs under the write lock that `BEGIN IMMEDIATE`
takes, which makes it a compare-and-set.

Every claim carries a short lease, renewed while the batch runs. A worker that dies leaves its rows
"sending" until the lease runs out; then any worker claims them again (counting an error). Outcomes
are written only while the row is still this worker's claim, so a worker that lost its lease (paused
too long) cannot overwrite the new owner's result.

Giving up: a permanent answer fails a row at once; a transient answer is retried with backoff until
DELIVERY_GIVE_UP_HOURS after the row was queued; an outage (the server can't be reached) pauses its
channel — rows wait without spending attempts, one probe at a time goes out with backoff — until
the same limit; a row whose attempts end in an unexpected error (or a dead worker) `max_errors`
times is retired. All of it is judged by `clock()`, which tests move.

Commits are the runner's alone, at the edges of each step (a kind's functions never commit), so no
transaction is open while a kind talks to SMTP, Twilio or a webhook receiver.
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
from ..transaction import unit_of_work

log = logging.getLogger(__name__)


def clock() -> datetime:
    """Return the engine's time: claims, leases, backoffs, pauses and giving up are judged by it."""
    return utcnow()


def _as_loaded(item: Any, claim: Claim) -> Any:
    return item


@dataclass(frozen=True)
class JobKind:
    """One kind of queued work: its table, the steps of one row, and its limits.

    For a claimed batch the runner calls `load(ids)` inside the claim's transaction (plain snapshots,
    each with the row's `id`: no ORM objects outlive it) and `connect()` once (the batch's connection,
    e.g. an SMTP session; its `close()` is called after the batch). Then for each snapshot, with the
    runner's commit after each step: `prepare(item, claim)` records a cancel or a postponement and
    returns None, or returns what to send (reserving what must exist first, e.g. an SMS session);
    `send(ready, connection)` talks to the provider with no transaction open and returns what
    happened (a provider id, a status, or the channel's refusal as a value), raising Outage when the
    server can't be reached; `record(ready, result, claim)` writes the outcome. `unsent(ready)` takes
    back what `prepare` reserved when an outage stopped the send. `channel(item)` names what is
    paused together when unreachable ("email", "sms", one webhook host).
    """

    name: str
    model: Any
    load: Callable[[Sequence[int]], Sequence[Any]]
    channel: Callable[[Any], str]
    send: Callable[[Any, Any], Any]
    record: Callable[[Any, Any, Claim], None]
    prepare: Callable[[Any, Claim], Any] = _as_loaded
    connect: Callable[[], Any] | None = None
    unsent: Callable[[Any], None] | None = None
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


@dataclass(frozen=True)
class Claim:
    """One row a worker holds, as a kind's `prepare` and `record` see it: its outcomes (the runner commits)."""

    kind: JobKind
    row_id: int
    worker_id: str

    def finish(self, status: str, **values: Any) -> bool:
        """Record a final outcome ("sent", "cancelled" …); False if the claim was lost meanwhile."""
        return finish(self.kind, self.row_id, self.worker_id, status, **values)

    def retry_or_fail(self, reason: str, *, transient: bool, **values: Any) -> str:
        """Retry a transient refusal with backoff, fail a permanent one (with `values`); return the new status."""
        if transient:
            return retry_later(self.kind, self.row_id, self.worker_id, reason)
        fail(self.kind, self.row_id, self.worker_id, reason, **values)
        return "failed"

    def postpone(self, due_at: datetime) -> None:
        """Hand the row back untouched until `due_at` (quiet hours, a busy phone): no attempt spent."""
        postpone(self.kind, self.row_id, self.worker_id, due_at)


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


@dataclass(frozen=True)
class Sweep:
    """Periodic work of the worker that is no queue (e.g. finding abandoned widget visits).

    `run()` is called in its own unit of work at most once per `every` (by `clock()`) on each
    worker, and again at once while it reports a full batch. It must be safe with any number of
    workers sweeping at the same moment (a conditional update that claims what it handles), and
    returns how many rows it handled.
    """

    name: str
    run: Callable[[], int]
    every: timedelta = timedelta(minutes=1)
    # A run that handled this many rows (its batch) may have left more: run again without waiting.
    batch_size: int = 100


def register_sweep(app: Flask, sweep: Sweep) -> None:
    """Add a periodic sweep that the app's workers run before their kinds (called by the factory)."""
    app.extensions.setdefault("surveyhub.sweeps", {})[sweep.name] = sweep


def registered_sweeps(app: Flask | None = None) -> list[Sweep]:
    """Return the app's sweeps in the order they were registered."""
    return list((app or current_app).extensions.get("surveyhub.sweeps", {}).values())


def claim(kind: JobKind, worker_id: str, limit: int | None = None) -> list[int]:
    """Claim up to `limit` due rows of a kind for this worker; return their ids (committed).

    A row taken back from a dead worker (its lease ran out) counts an error; one at `max_errors` is
    retired (failed) instead of being handed out again.
    """
    with unit_of_work():
        return _claim(kind, worker_id, limit)


def _claim(kind: JobKind, worker_id: str, limit: int | None) -> list[int]:
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
    return sorted(ids)


def _mine(model, row_id: int, worker_id: str):
    return _all_mine(model, [row_id], worker_id)


def _all_mine(model, row_ids: Sequence[int], worker_id: str):
    """The rows of `row_ids` this worker still holds (not finished, not taken back by another)."""
    return and_(model.id.in_(row_ids), model.status == "sending", model.claimed_by == worker_id)


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
    with unit_of_work():
        errors = db.session.execute(select(model.errors).where(_mine(model, row_id, worker_id))).scalar_one_or_none()
        if errors is None:  # finished meanwhile, or no longer this worker's
            return "lost"
        if errors + 1 >= kind.max_errors:
            fail(kind, row_id, worker_id, f"gave up after {errors + 1} errors: {reason}", errors=errors + 1)
            return "failed"
        db.session.execute(
            update(model).where(_mine(model, row_id, worker_id))
            .values(status="queued", due_at=clock() + backoff(errors + 1), lease_until=None, claimed_by=None,
                    errors=errors + 1, last_error=reason[:500]).execution_options(synchronize_session=False)
        )
        return "queued"


def postpone(kind: JobKind, row_id: int, worker_id: str, due_at: datetime) -> None:
    """Hand back a claimed row untouched until `due_at`: waiting (quiet hours, a busy phone) is not a
    failed attempt. The caller commits."""
    model = kind.model
    db.session.execute(
        update(model).where(_mine(model, row_id, worker_id))
        .values(status="queued", due_at=due_at, lease_until=None, claimed_by=None, attempts=model.attempts - 1)
        .execution_options(synchronize_session=False)
    )


def hold(kind: JobKind, row_ids: Sequence[int], worker_id: str, until: datetime, reason: str) -> None:
    """Keep claimed rows waiting for their paused channel, no attempt spent; fail those past the give-up time.

    Commits.
    """
    if not row_ids:
        return
    with unit_of_work():
        _hold(kind, row_ids, worker_id, until, reason)


def _hold(kind: JobKind, row_ids: Sequence[int], worker_id: str, until: datetime, reason: str) -> None:
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
            update(model).where(_all_mine(model, waiting, worker_id))
            .values(status="queued", due_at=until, lease_until=None, claimed_by=None, attempts=model.attempts - 1,
                    last_error=f"waiting: {reason}"[:500]).execution_options(synchronize_session=False)
        )


def release(kind: JobKind, row_ids: Sequence[int], worker_id: str) -> None:
    """Hand back claimed rows untouched (shutdown): due now, the attempt not counted. Commits."""
    if not row_ids:
        return
    model = kind.model
    with unit_of_work():
        db.session.execute(
            update(model).where(_all_mine(model, row_ids, worker_id))
            .values(status="queued", lease_until=None, claimed_by=None, attempts=model.attempts - 1)
            .execution_options(synchronize_session=False)
        )


def renew(kind: JobKind, row_ids: Sequence[int], worker_id: str) -> None:
    """Extend the lease of the rows this worker still holds (a long batch keeps its claim). Commits."""
    if not row_ids:
        return
    model = kind.model
    with unit_of_work():
        db.session.execute(
            update(model).where(_all_mine(model, row_ids, worker_id))
            .values(lease_until=clock() + kind.lease).execution_options(synchronize_session=False)
        )


# --- paused channels ------------------------------------------------------------------------------

def paused_until(channel: str, lease: timedelta) -> tuple[datetime | None, bool]:
    """Tell whether a channel may be used now: (None, probing) if so, else (when to look again, False).

    A channel without a pause is open. Once its pause has run out, the first worker to ask takes the
    probe (for `lease`) and may send one row; the others wait. Commits.
    """
    now = clock()
    with unit_of_work():
        pause = db.session.get(DeliveryPause, channel)
        if pause is None:
            return None, False
        if pause.paused_until > now:
            return pause.paused_until, False
        took = rowcount(
            update(DeliveryPause).where(DeliveryPause.channel == channel, DeliveryPause.paused_until <= now,
                                        or_(DeliveryPause.probe_until.is_(None), DeliveryPause.probe_until < now))
            .values(probe_until=now + lease).execution_options(synchronize_session=False)
        )
    if took:
        return None, True
    return now + timedelta(seconds=current_app.config["DELIVERY_RETRY_BASE_SECONDS"]), False


def channel_down(channel: str, reason: str) -> datetime:
    """Pause a channel that could not be reached, longer after each failed probe; return until when. Commits."""
    cap = current_app.config["DELIVERY_PROBE_MAX_SECONDS"]
    for _ in range(2):  # a second worker may insert the same channel's pause at the same moment
        try:
            with unit_of_work():
                pause = db.session.get(DeliveryPause, channel, with_for_update=True)
                now = clock()
                if pause is None:
                    until = now + backoff(1, cap)
                    db.session.add(DeliveryPause(channel=channel, paused_until=until, failures=1,
                                                 last_error=reason[:500], since=now))
                else:
                    if pause.probe_until is not None or pause.paused_until <= now:  # a probe failed: back off
                        pause.failures += 1
                    pause.paused_until = until = max(pause.paused_until, now + backoff(pause.failures, cap))
                    pause.probe_until = None
                    pause.last_error = reason[:500]
        except IntegrityError:
            continue
        log.warning("delivery channel %s paused until %s: %s", channel, until.isoformat(), reason)
        return until
    raise RuntimeError(f"could not pause channel {channel}")


def channel_up(channel: str) -> None:
    """Open a channel again: a probe got through. Commits."""
    with unit_of_work():
        if rowcount(delete(DeliveryPause).where(DeliveryPause.channel == channel)):
            log.info("delivery channel %s is back", channel)


# --- the batch runner -----------------------------------------------------------------------------

def run_batch(kind: JobKind, ids: Sequence[int], worker: Worker) -> None:
    """Process a claimed batch: load the rows and commit, then prepare, send and record each in turn.

    A failure while loading (or connecting) counts an error for each row of the batch.
    """
    try:
        with unit_of_work():
            items = kind.load(ids)
        connection = kind.connect() if kind.connect is not None else None
    except Exception as err:  # noqa: BLE001 - the batch can't start: each of its rows counts an error
        log.exception("%s: loading a batch failed", kind.name)
        for row_id in ids:
            record_error(kind, row_id, worker.worker_id, f"{type(err).__name__}: {err}")
        return
    try:
        _run_rows(kind, items, worker, connection)
    finally:
        if connection is not None:
            connection.close()


def _run_rows(kind: JobKind, items: Sequence[Any], worker: Worker, connection: Any) -> None:
    """Send the batch's rows one by one; stop, renew, hold and pause channels as the module says."""
    renewed = clock()
    open_channels: set[str] = set()  # found open in this batch: not asked again
    probes: set[str] = set()  # this batch holds the channel's probe: the first row that gets through opens it
    paused: dict[str, tuple[datetime, str]] = {}  # channels found paused in this batch: until, why
    held: dict[str, list[int]] = {}
    try:
        for index, item in enumerate(items):
            if worker.should_stop():
                release(kind, [i.id for i in items[index:]], worker.worker_id)
                return
            if clock() - renewed >= kind.lease / 3:
                renew(kind, [i.id for i in items], worker.worker_id)  # the held ones too: they are still ours
                renewed = clock()
            key = kind.channel(item)
            try:
                if key not in paused and key not in open_channels and key not in probes:
                    wait, probing = paused_until(key, kind.lease)
                    if wait is not None:
                        paused[key] = (wait, f"{key} is paused")
                    else:
                        (probes if probing else open_channels).add(key)
                if key in paused:
                    held.setdefault(key, []).append(item.id)
                    continue
                try:
                    sent = _run_row(kind, item, Claim(kind, item.id, worker.worker_id), connection)
                except Outage as outage:
                    open_channels.discard(key)
                    probes.discard(key)
                    paused[key] = (channel_down(key, outage.reason), outage.reason)
                    held.setdefault(key, []).append(item.id)
                    continue
                if sent and key in probes:
                    channel_up(key)
                    probes.discard(key)
                    open_channels.add(key)
            except Exception as err:  # noqa: BLE001 - one row's trouble, whatever it is, is that row's alone
                log.exception("%s row %s: %s", kind.name, item.id, type(err).__name__)
                record_error(kind, item.id, worker.worker_id, f"{type(err).__name__}: {err}")
    finally:
        for key, row_ids in held.items():
            hold(kind, row_ids, worker.worker_id, *paused[key])


def _run_row(kind: JobKind, item: Any, claim: Claim, connection: Any) -> bool:
    """Prepare, send and record one row, committing after each step; False if `prepare` settled it unsent."""
    with unit_of_work():
        ready = kind.prepare(item, claim)
    if ready is None:
        return False
    try:
        result = kind.send(ready, connection)
    except Outage:
        if kind.unsent is not None:
            with unit_of_work():
                kind.unsent(ready)
        raise
    with unit_of_work():
        kind.record(ready, result, claim)
    return True


@dataclass
class Worker:
    """Runs every registered job kind until stopped; one per `surveyhub worker` process or thread."""

    app: Flask
    poll_interval: float = 1.0
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}")
    stop_event: threading.Event = field(default_factory=threading.Event)
    # When each sweep is due again on this worker (a new worker sweeps at once).
    sweeps_due: dict[str, datetime] = field(default_factory=dict)

    def should_stop(self) -> bool:
        """Tell a job kind to stop after the message in hand."""
        return self.stop_event.is_set()

    def stop(self) -> None:
        """Ask the worker to finish the message in hand, release the rest and return."""
        self.stop_event.set()

    def run_once(self) -> int:
        """Run the sweeps that are due, then claim and process one batch of each kind; return how many
        rows were swept and claimed."""
        total = self.sweep()
        for kind in registered_kinds(self.app):
            if self.should_stop():
                break
            ids = claim(kind, self.worker_id)
            total += len(ids)
            if ids:
                run_batch(kind, ids, self)
        return total

    def sweep(self) -> int:
        """Run each registered sweep that is due on this worker, each in its own unit of work; return the rows
        they handled. A sweep that fails is logged and tried again when next due, never stopping the kinds."""
        total = 0
        for sweep in registered_sweeps(self.app):
            now = clock()
            if self.should_stop() or self.sweeps_due.get(sweep.name, now) > now:
                continue
            handled = 0
            try:
                with unit_of_work():
                    handled = sweep.run()
            except Exception:
                log.exception("sweep %s failed; trying again in %s", sweep.name, sweep.every)
            self.sweeps_due[sweep.name] = now if handled >= sweep.batch_size else now + sweep.every
            total += handled
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
