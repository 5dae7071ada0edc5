"""Group commit: the records a read leaves behind (audit rows, usage-log rows, quota counts)
are written by one writer thread per process, many requests per transaction, and every
request waits for its own records to be committed before it answers.

A read that must be logged then costs one shared commit instead of a write transaction of
its own: under load, 30 requests share one WAL flush and a handful of multi-row statements.
Durability is unchanged: an answered request's records are committed (the request's unit of
work awaits them, `deps.unit_of_work`); a crash before the commit loses only records of
requests that were never answered.

A `Kind` writes a list of items in the writer's transaction and may refuse some of them
(for example a replayed nonce or a spent quota): a refused item's request answers with that
refusal, and `Kind.refused` records it in the same transaction. If the batch fails as a
whole (a constraint violated by a concurrent process), each item is retried on its own, so
one bad item never sinks the others.

Outside a request (CLI, jobs, tests calling actions) `submit` writes at once in the caller's
session and raises a refusal there, i.e. the records join the caller's transaction.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.orm import Session

from yiwang.core.db import get_engine
from yiwang.core.errors import DomainError
from yiwang.core.metrics import GROUP_COMMIT_BATCH as BATCH_SIZE

log = logging.getLogger(__name__)
T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)
MAX_BATCH = 512  # items per transaction


class Kind(Protocol[T_contra]):
    name: str

    def write(self, session: Session, items: Sequence[T_contra]) -> list[DomainError | None]:
        """Write the items; return per item None (written) or the refusal (nothing written)."""

    def refused(self, session: Session, items: Sequence[tuple[T_contra, DomainError]]) -> None:
        """Record refused items (their refusal is the request's answer)."""


@dataclass
class _Job(Generic[T]):
    kind: Kind[T]
    item: T
    done: Future[None]


_waiting: ContextVar[list[Future[None]] | None] = ContextVar("group_commit_waiting", default=None)


def open_scope() -> list[Future[None]]:
    """Called by the request's unit of work: records submitted from here on are group-committed;
    the list fills with the futures the request must await before answering."""
    pending: list[Future[None]] = []
    _waiting.set(pending)
    return pending


def submit(session: Session, kind: Kind[T], item: T) -> None:
    """Write `item` durably before the current request answers (or now, in the caller's
    transaction, outside a request)."""
    waiting = _waiting.get()
    if waiting is None:
        refusal = kind.write(session, [item])[0]
        if refusal is not None:
            raise refusal
        return
    done: Future[None] = Future()
    waiting.append(done)
    _writer().put(_Job(kind, item, done))


class _Writer:
    def __init__(self) -> None:
        self._session: Session | None = None  # its own session and connection, kept across batches
        self._queue: queue.SimpleQueue[_Job[Any]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()

    def put(self, job: _Job[Any]) -> None:
        self._queue.put(job)

    def _run(self) -> None:
        while True:
            jobs = self._take()
            if not jobs:
                continue
            try:
                self._write(jobs)
            except BaseException as exc:  # never let the thread die with requests waiting on it
                log.exception("group commit writer failed")
                for job in jobs:
                    _settle(job, exc)

    def _take(self) -> list[_Job[Any]]:
        """The first queued job (blocking) and whatever queued meanwhile, minus jobs whose request
        gave up waiting; the others can no longer be cancelled, so a commit is always reported."""
        jobs = [self._queue.get()]
        while len(jobs) < MAX_BATCH:
            try:
                jobs.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return [j for j in jobs if j.done.set_running_or_notify_cancel()]

    def _write(self, jobs: list[_Job[Any]]) -> None:
        BATCH_SIZE.observe(len(jobs))
        try:
            outcomes = self._commit(jobs)
        except Exception as exc:  # the whole batch failed (nothing committed): each job on its own
            if len(jobs) == 1:
                log.exception("group commit failed")
                _settle(jobs[0], exc)
                return
            log.warning("group commit of %d records failed (%s); retrying one by one", len(jobs), exc)
            for job in jobs:
                try:
                    one = self._commit([job])
                except Exception as failed:
                    log.exception("group commit of one record failed")
                    _settle(job, failed)
                else:
                    _report(one)
            return
        _report(outcomes)  # outside the try: a committed batch is never retried

    def _commit(self, jobs: list[_Job[Any]]) -> list[tuple[_Job[Any], DomainError | None]]:
        engine = get_engine()
        if self._session is None or self._session.get_bind().engine is not engine:  # first, or a new database
            self._close()
            # one connection and one session for all batches: no pool checkout (and ping) per batch
            self._session = Session(bind=engine.connect(), expire_on_commit=False, autoflush=False)
        try:
            return _commit(self._session, jobs)
        except Exception:
            self._close()  # whatever broke, the next batch starts on a fresh connection
            raise

    def _close(self) -> None:
        if self._session is not None:
            conn = self._session.get_bind()
            self._session.close()
            conn.close()  # type: ignore[union-attr]
            self._session = None


def _commit(session: Session, jobs: list[_Job[Any]]) -> list[tuple[_Job[Any], DomainError | None]]:
    by_kind: dict[int, list[_Job[Any]]] = {}
    for job in jobs:
        by_kind.setdefault(id(job.kind), []).append(job)
    outcomes: list[tuple[_Job[Any], DomainError | None]] = []
    with session.begin():
        for group in by_kind.values():
            kind = group[0].kind
            results = kind.write(session, [j.item for j in group])
            refused = [(j.item, r) for j, r in zip(group, results, strict=True) if r is not None]
            if refused:
                kind.refused(session, refused)
            outcomes += zip(group, results, strict=True)
    return outcomes


def _report(outcomes: list[tuple[_Job[Any], DomainError | None]]) -> None:
    """After the commit: release each request with its outcome."""
    for job, refusal in outcomes:
        _settle(job, refusal)


def _settle(job: _Job[Any], error: BaseException | None) -> None:
    if job.done.done():
        return
    if error is None:
        job.done.set_result(None)
    else:
        job.done.set_exception(error)


_lock = threading.Lock()
_instance: _Writer | None = None


def _writer() -> _Writer:
    global _instance
    if _instance is None:
        with _lock:
            if _instance is None:
                _instance = _Writer()
    return _instance
