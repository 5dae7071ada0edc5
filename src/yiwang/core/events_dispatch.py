"""Handing committed events to the in-process subscribers, at least once, with no duplicate
effect.

After a commit the session's new outbox ids go to the process's dispatcher thread (a serving
process) or are dispatched right there in the committing thread (CLI, jobs, tests: no thread
is running). Each subscriber takes a batch of events in one transaction of its own, each event
in a savepoint with its `event_handled` mark: an event it handled before is skipped, an event
its handler fails on is rolled back alone and retried later with backoff, while the other
subscribers go on. An event leaves the work list once every subscriber that wants it has it.
The `events.sweep` job delivers what a crash between commit and dispatch left behind.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from yiwang.core import events
from yiwang.core import events_repository as repo
from yiwang.core.db import transaction, utcnow

log = logging.getLogger(__name__)

BATCH = 500
SWEEP_GRACE = timedelta(seconds=5)  # younger events are the live dispatcher's
BACKOFF_CAP = 3600.0


@dataclass
class DispatchReport:
    events: int = 0
    handled: int = 0  # (subscriber, event) pairs run now
    skipped: int = 0  # already handled before
    failed: dict[int, str] = field(default_factory=dict)  # event seq -> first error


def backoff(attempts: int, cap: float = BACKOFF_CAP) -> float:
    """Seconds before the n-th retry: 2^n capped, half of it random so retries spread out."""
    base = min(2.0 ** min(attempts, 60), cap)
    return base / 2 + random.uniform(0, base / 2)


def dispatch(seqs: Sequence[int]) -> DispatchReport:
    """Hand the given outbox events (those still pending) to every subscriber that wants them.
    A process that has not loaded every context leaves them pending: it would mark events done
    that a subscriber it lacks never had (a serving process or the sweep delivers them)."""
    report = DispatchReport()
    if not events.complete():
        log.warning(
            "not every context is loaded in this process: %d events left to a process that has", len(seqs)
        )
        return report
    with transaction() as s:
        batch = [events.Event.of(r) for r in repo.by_ids(s, sorted(set(seqs))) if r.dispatch_pending]
    report.events = len(batch)
    if not batch:
        return report
    for sub in events.subscribers():
        mine = [e for e in batch if sub.wants(e.type)]
        if mine:
            _run(sub, mine, report)
    now = utcnow()
    with transaction() as s:
        tries = repo.attempts(s, list(report.failed))
        repo.finish_dispatch(
            s, [e.seq for e in batch if e.seq not in report.failed],
            {seq: (err, now + timedelta(seconds=backoff(tries.get(seq, 0) + 1))) for seq, err in report.failed.items()},
        )  # fmt: skip
    return report


def _run(sub: events.Subscriber, batch: list[events.Event], report: DispatchReport) -> None:
    """A subscriber's batch in one transaction: one statement marks every event it has not
    handled yet, then its handler runs on those, in order. If a handler fails, the whole batch
    is rolled back and done again one event at a time (`_one_by_one`), so that only the
    failing event waits for its retry."""
    try:
        with transaction() as s:
            # One batch of a subscriber at a time across processes: two batches that overlap would
            # each hold rows the other's handler wants (a deadlock), or apply events out of order.
            repo.lock_consumer(s, sub.name)
            fresh = repo.mark_handled_many(s, sub.name, [e.seq for e in batch], utcnow())
            for e in batch:
                if e.seq in fresh:
                    sub.handler(s, e)
            s.flush()
    except Exception:
        log.info("subscriber %s: a batch of %d failed, doing it one event at a time", sub.name, len(batch))
        _one_by_one(sub, batch, report)
        return
    report.handled += len(fresh)
    report.skipped += len(batch) - len(fresh)


def _one_by_one(sub: events.Subscriber, batch: list[events.Event], report: DispatchReport) -> None:
    try:
        with transaction() as s:
            repo.lock_consumer(s, sub.name)
            for e in batch:
                savepoint = s.begin_nested()
                try:
                    if repo.mark_handled(s, sub.name, e.seq, utcnow()):
                        sub.handler(s, e)
                        s.flush()
                        report.handled += 1
                    else:
                        report.skipped += 1
                    savepoint.commit()
                except Exception as exc:
                    savepoint.rollback()
                    log.exception("subscriber %s failed on event %s (%s)", sub.name, e.seq, e.type)
                    report.failed.setdefault(e.seq, f"{sub.name}: {type(exc).__name__}: {exc}")
    except Exception as exc:  # the batch's commit itself failed: every event of it is retried
        log.exception("subscriber %s could not commit its batch", sub.name)
        for e in batch:
            report.failed.setdefault(e.seq, f"{sub.name}: {type(exc).__name__}: {exc}")


# --- after commit -----------------------------------------------------------------------------


class Dispatcher:
    """A serving process's dispatcher: one daemon thread, woken by commits."""

    def __init__(self) -> None:
        self._queue: list[int] = []
        self._cv = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._loop, name="yiwang-events", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def alive(self) -> bool:
        return self._thread.is_alive() and not self._stop

    def notify(self, seqs: Sequence[int]) -> None:
        with self._cv:
            self._queue.extend(seqs)
            self._cv.notify()

    def stop(self, timeout: float = 10) -> None:
        with self._cv:
            self._stop = True
            self._cv.notify()
        self._thread.join(timeout=timeout)

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._queue and not self._stop:
                    self._cv.wait()
                if self._stop and not self._queue:
                    return
                batch, self._queue = self._queue[:BATCH], self._queue[BATCH:]
            try:
                dispatch(batch)
            except Exception:  # the sweep brings them back
                log.exception("event dispatch failed")


_dispatcher: Dispatcher | None = None
_local = threading.local()
_committed_hooks: list[Callable[[Sequence[int]], None]] = []


def on_committed(hook: Callable[[Sequence[int]], None]) -> None:
    """Also tell `hook` about every committed batch of outbox ids (the NATS relay's wake-up)."""
    if hook not in _committed_hooks:
        _committed_hooks.append(hook)


def start() -> Dispatcher:
    global _dispatcher
    if _dispatcher is None or not _dispatcher.alive():
        _dispatcher = Dispatcher()
        _dispatcher.start()
    return _dispatcher


def stop() -> None:
    global _dispatcher
    if _dispatcher is not None:
        _dispatcher.stop()
        _dispatcher = None


def committed(seqs: Sequence[int]) -> None:
    """A transaction that wrote these outbox ids committed."""
    for hook in _committed_hooks:
        try:
            hook(seqs)
        except Exception:
            log.exception("event commit hook failed")
    if _dispatcher is not None and _dispatcher.alive():
        _dispatcher.notify(seqs)
        return
    if getattr(_local, "queue", None) is not None:  # a handler's own events, inside a dispatch
        _local.queue.extend(seqs)
        return
    _local.queue = list(seqs)
    try:
        while _local.queue:
            batch, _local.queue = _local.queue, []
            try:
                dispatch(batch)
            except Exception:
                log.exception("event dispatch failed; the sweep will retry")
    finally:
        _local.queue = None


# --- sweep and replay -------------------------------------------------------------------------


def sweep(now: datetime | None = None, grace: timedelta = SWEEP_GRACE) -> int:
    """The `events.sweep` job: dispatch what is still pending and due. Returns events seen."""
    now = now or utcnow()
    total = 0
    while True:
        with transaction() as s:
            seqs = repo.due_for_dispatch(s, now, now - grace, BATCH)
        if not seqs:
            return total
        total += len(seqs)
        dispatch(seqs)
        if len(seqs) < BATCH:
            return total


@dataclass
class ReplayReport:
    requeued: int
    forgotten: int
    dispatched: int


def replay(since: datetime, consumer: str | None = None, nats: bool = False) -> ReplayReport:
    """Hand every event since a time to the subscribers again (and to NATS with `nats`). Events
    a subscriber already handled are skipped by its marks, unless `consumer` names one whose
    marks from then on are forgotten first (a projection rebuilt, a subscriber's bug fixed)."""
    with transaction() as s:
        first, last = repo.first_seq_at(s, since), repo.last_seq(s)
        if first is None:
            return ReplayReport(0, 0, 0)
        forgotten = repo.forget_handled(s, consumer, first) if consumer else 0
        requeued = repo.requeue(s, first, last, nats)
    dispatched = 0
    for start_seq in range(first, last + 1, BATCH):
        dispatched += dispatch(range(start_seq, min(start_seq + BATCH, last + 1))).events
    return ReplayReport(requeued, forgotten, dispatched)
