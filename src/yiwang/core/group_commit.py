"""Group commit: the records a read leaves behind (audit rows, usage-log rows, quota counts)
are written by one writer thread per process, many requests per transaction, and every
request waits for its own records to be committed before it answers.

A read that must be logged then costs one shared commit instead of a write transaction of
its own: under load, 30 requests share one WAL flush and a handful of multi-row statements.
Durability is unchanged: an answered request's records are committed (the request's unit of
work awaits them, `deps.UnitOfWork`); a crash before the commit loses only records of
requests that were never answered.

A `Kind` writes a list of items in the writer's transaction and may refuse some of them
(for example a replayed nonce or a spent quota): a refused item's request answers with that
refusal, and `Kind.refused` records it in the same transaction. If the batch fails as a
whole (a constraint violated by a concurrent process), each item is retried on its own, so
one bad item never sinks the others.

Outside a request (CLI, jobs, tests calling actions) `submit` writes at once in the caller's
session and raises a refusal there, i.e. the records join the caller's transaction.

A request waits on the event loop (`Scope.durable`): after each commit the writer wakes each
loop once for the whole batch, not once per request (every wake-up is a write to the loop's
self-pipe and a turn of the loop).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from psycopg.pq import TransactionStatus
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

    def write_at_once(self, batch: AtOnce, items: Sequence[T_contra]) -> None:
        """PostgreSQL's fast path: queue the statements that write every item as it is on
        `batch.conn`, add a check of their results to `batch.checks` and the items' audit rows
        to `batch.audit_rows`. When any check fails (an item needs a decision of `write`: a
        refusal, a first use) the writer rolls everything back and runs `write` for the batch."""


@dataclass
class AtOnce:
    """A batch on PostgreSQL's fast path. The statements go to the server in two pipelines
    (psycopg pipeline mode: sent together, results read at the end): first BEGIN, what the
    kinds queue, the audit chain's lock and head; then, if every check passes, the audit rows
    linked into the chain, and COMMIT. Two round trips a batch, and no ORM session."""

    conn: Any  # the bare psycopg connection
    checks: list[Callable[[], bool]] = field(default_factory=list)
    audit_rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Job(Generic[T]):
    kind: Kind[T]
    item: T
    done: Future[None]
    scope: Scope


class Scope:
    """The records one request submitted, and its wait until all of them are committed."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.jobs: list[_Job[Any]] = []
        self.loop = loop  # the request's event loop, woken by the writer (None: wait in a thread)
        self._waiter: asyncio.Future[None] | None = None

    def __bool__(self) -> bool:
        return bool(self.jobs)

    async def durable(self, timeout: float, raise_refusal: bool = True) -> None:
        """On the request's loop: return once every record is committed, raising the first
        refusal or failure in submission order (none if `raise_refusal` is false). After
        `timeout` seconds records the writer has not taken yet are dropped, never written
        unanswered, and TimeoutError is raised."""
        if not self._all_done():
            if self.loop is not asyncio.get_running_loop():
                raise RuntimeError("a request's records are awaited on the loop that opened its scope")
            self._waiter = self.loop.create_future()
            try:
                async with asyncio.timeout(timeout):  # one timer for the request
                    await self._waiter
            except TimeoutError:
                self.cancel()
                if raise_refusal:
                    raise
                return
        if raise_refusal:
            self._raise_first()

    def wait(self, timeout: float) -> None:
        """`durable` for a caller in a thread of its own (no event loop)."""
        deadline = time.monotonic() + timeout
        try:
            for job in self.jobs:
                job.done.exception(max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            self.cancel()
            raise
        self._raise_first()

    def cancel(self) -> None:
        for job in self.jobs:
            job.done.cancel()  # only the ones the writer has not taken

    def _all_done(self) -> bool:
        return all(job.done.done() for job in self.jobs)

    def _raise_first(self) -> None:
        for job in self.jobs:
            if not job.done.cancelled() and (exc := job.done.exception()) is not None:
                raise exc

    def _wake(self) -> None:
        """On the loop, after a commit that settled some of the scope's records."""
        if self._waiter is not None and not self._waiter.done() and self._all_done():
            self._waiter.set_result(None)


_scope: ContextVar[Scope | None] = ContextVar("group_commit_scope", default=None)


def open_scope() -> Scope:
    """Called by the request's unit of work: records submitted from here on are group-committed,
    and the request must await the scope before it answers."""
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    scope = Scope(loop)
    _scope.set(scope)
    return scope


def submit(session: Session, kind: Kind[T], item: T) -> None:
    """Write `item` durably before the current request answers (or now, in the caller's
    transaction, outside a request)."""
    scope = _scope.get()
    if scope is None:
        refusal = kind.write(session, [item])[0]
        if refusal is not None:
            raise refusal
        return
    job = _Job(kind, item, Future(), scope)
    scope.jobs.append(job)
    _writer().put(job)


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
                _report([(job, exc) for job in jobs])

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
                _report([(jobs[0], exc)])
                return
            log.warning("group commit of %d records failed (%s); retrying one by one", len(jobs), exc)
            for job in jobs:
                try:  # on the session path: it may be the fast one that fails
                    one = self._commit([job], at_once=False)
                except Exception as failed:
                    log.exception("group commit of one record failed")
                    _report([(job, failed)])
                else:
                    _report(one)
            return
        _report(outcomes)  # outside the try: a committed batch is never retried

    def _commit(
        self, jobs: list[_Job[Any]], at_once: bool = True
    ) -> list[tuple[_Job[Any], DomainError | None]]:
        engine = get_engine()
        if self._session is None or self._session.get_bind().engine is not engine:  # first, or a new database
            self._close()
            # one connection and one session for all batches: no pool checkout (and ping) per batch
            self._session = Session(bind=engine.connect(), expire_on_commit=False, autoflush=False)
        try:
            if at_once and self._session.get_bind().dialect.name == "postgresql":
                raw = self._session.get_bind().connection.dbapi_connection  # type: ignore[union-attr]
                if _commit_at_once(raw, jobs):
                    return [(job, None) for job in jobs]
            return _commit(self._session, jobs)
        except Exception:
            self._close(broken=True)  # whatever broke, the next batch starts on a fresh connection
            raise

    def _close(self, broken: bool = False) -> None:
        if self._session is not None:
            conn = self._session.get_bind()
            self._session.close()
            if broken:
                conn.invalidate()  # type: ignore[union-attr]  # never back to the pool in an unknown state
            conn.close()  # type: ignore[union-attr]
            self._session = None


def _by_kind(jobs: list[_Job[Any]]) -> list[list[_Job[Any]]]:
    groups: dict[int, list[_Job[Any]]] = {}
    for job in jobs:
        groups.setdefault(id(job.kind), []).append(job)
    return list(groups.values())


def _commit_at_once(raw: Any, jobs: list[_Job[Any]]) -> bool:
    """The common case on PostgreSQL (nothing refused): `AtOnce`. False: rolled back, nothing
    written."""
    from yiwang.core import audit  # it submits records through this module

    batch = AtOnce(raw)
    raw.autocommit = True  # BEGIN and COMMIT travel in the pipelines with the statements
    try:
        with raw.pipeline():
            raw.execute("BEGIN")
            for group in _by_kind(jobs):
                group[0].kind.write_at_once(batch, [j.item for j in group])
            head = audit.chain_head_locked(raw) if batch.audit_rows else None
        if not all(check() for check in batch.checks):
            raw.execute("ROLLBACK")
            return False
        with raw.pipeline():
            if head is not None:
                audit.append_chained(raw, head(), batch.audit_rows)
            raw.execute("COMMIT")
        return True
    except BaseException:
        raw.rollback()
        raise
    finally:
        if raw.pgconn.transaction_status == TransactionStatus.IDLE:  # else the connection is dropped
            raw.autocommit = False


def _commit(session: Session, jobs: list[_Job[Any]]) -> list[tuple[_Job[Any], DomainError | None]]:
    outcomes: list[tuple[_Job[Any], DomainError | None]] = []
    with session.begin():
        for group in _by_kind(jobs):
            kind = group[0].kind
            results = kind.write(session, [j.item for j in group])
            refused = [(j.item, r) for j, r in zip(group, results, strict=True) if r is not None]
            if refused:
                kind.refused(session, refused)
            outcomes += zip(group, results, strict=True)
    return outcomes


def _report(outcomes: Sequence[tuple[_Job[Any], BaseException | None]]) -> None:
    """After the commit: settle each record with its outcome, then wake each waiting loop once
    for all of its requests in the batch."""
    woken: dict[asyncio.AbstractEventLoop, list[Scope]] = {}
    for job, error in outcomes:
        if not job.done.done():
            if error is None:
                job.done.set_result(None)
            else:
                job.done.set_exception(error)
        if job.scope.loop is not None:
            woken.setdefault(job.scope.loop, []).append(job.scope)
    for loop, scopes in woken.items():
        try:
            loop.call_soon_threadsafe(_wake, scopes)
        except RuntimeError:  # the loop is closed: nobody is waiting there any more
            continue


def _wake(scopes: list[Scope]) -> None:
    for scope in scopes:
        scope._wake()


_lock = threading.Lock()
_instance: _Writer | None = None


def _writer() -> _Writer:
    global _instance
    if _instance is None:
        with _lock:
            if _instance is None:
                _instance = _Writer()
    return _instance
