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

Where the records are written: on PostgreSQL, a request on the event loop (an async route:
the exchange's lookups and batches) hands them to its loop's writer, a task on that loop with
an async connection of its own (`_LoopWriter`): no thread, so no GIL hand-off between a writer
thread and the loop (about 7 context switches a call and a third of a lookup's CPU, measured),
and no wake-up through the loop's self-pipe. Anything else (a sync route's thread, SQLite, a
batch the fast path cannot decide) goes to the writer thread (`_Writer`), which wakes each
waiting loop once per batch.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from yiwang.core.db import get_engine, reads_autocommit
from yiwang.core.errors import DomainError
from yiwang.core.metrics import GROUP_COMMIT_BATCH as BATCH_SIZE

log = logging.getLogger(__name__)
T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)
MAX_BATCH = 512  # items per transaction
APPLICATION_NAME = "yiwang-writer-loop"  # how a loop writer's connection shows in pg_stat_activity


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


class Queued:
    """A statement queued on `AtOnce.conn`, and its results once the writer has run it."""

    __slots__ = ("params", "prepare", "rowcount", "rows", "sql")

    def __init__(self, sql: str, params: Any, prepare: bool | None) -> None:
        self.sql, self.params, self.prepare = sql, params, prepare
        self.rowcount = -1
        self.rows: list[tuple[Any, ...]] = []

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None


class CopyRows:
    """Rows queued on `AtOnce.conn` for `COPY … FROM STDIN` (text format): PostgreSQL reads them
    at ~10 µs a row where a JSON document of rows costs ~25 (its parse), and a COPY cannot
    travel in a pipeline, so it runs on its own between the statements around it."""

    __slots__ = ("rows", "sql")

    def __init__(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        self.sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        self.rows = rows


class Statements:
    """`AtOnce.conn`: takes statements as a psycopg connection does (`execute(sql, params,
    prepare=)`) and rows to COPY (`copy`), queues them, and gives each statement a `Queued`
    whose results the writer fills in after running them, on a thread's connection or on a
    loop's, statements in pipelines."""

    def __init__(self) -> None:
        self.queued: list[Queued | CopyRows] = []

    def execute(self, sql: str, params: Any = None, prepare: bool | None = None) -> Queued:
        q = Queued(sql, params, prepare)
        self.queued.append(q)
        return q

    def copy(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self.queued.append(CopyRows(table, columns, rows))

    def take(self) -> list[list[Queued] | CopyRows]:
        """What was queued, in order: runs of statements (one pipeline each) and COPYs."""
        parts: list[list[Queued] | CopyRows] = []
        for op in self.queued:
            if isinstance(op, CopyRows):
                parts.append(op)
            elif parts and isinstance(parts[-1], list):
                parts[-1].append(op)
            else:
                parts.append([op])
        self.queued = []
        return parts


@dataclass
class AtOnce:
    """A batch on PostgreSQL's fast path. The statements go to the server in two pipelines
    (psycopg pipeline mode: sent together, results read at the end): first BEGIN, what the
    kinds queue, the audit chain's lock and head; then, if every check passes, the audit rows
    linked into the chain, and COMMIT. Two round trips a batch, and no ORM session."""

    conn: Statements = field(default_factory=Statements)
    checks: list[Callable[[], bool]] = field(default_factory=list)
    audit_rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Job(Generic[T]):
    kind: Kind[T]
    item: T
    done: Future[None]
    scope: Scope
    handed_over: bool = False  # taken by a loop writer that left the decision to the writer thread


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
    on_loop = _loop_writer(scope)
    (on_loop or _writer()).put(job)


def _loop_writer(scope: Scope) -> _LoopWriter | None:
    """The writer of the request's loop, when the record is submitted on that loop (an async
    route, not a sync route's thread) and the database is PostgreSQL."""
    if scope.loop is None or not reads_autocommit():
        return None
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # a sync route, in a thread of the pool
        return None
    if loop is not scope.loop:
        return None
    engine = get_engine()
    writer = _loop_writers.get(loop)
    if writer is None or writer.engine is not engine:  # first use on this loop, or another database (tests)
        writer = _loop_writers[loop] = _LoopWriter(engine)
    return writer


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
        return [j for j in jobs if j.handed_over or j.done.set_running_or_notify_cancel()]

    def _write(self, jobs: list[_Job[Any]]) -> None:
        BATCH_SIZE.observe(len(jobs))
        try:  # jobs a loop writer handed over already failed the fast path: straight to `write`
            outcomes = self._commit(jobs, at_once=not any(j.handed_over for j in jobs))
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


def _first_half(jobs: list[_Job[Any]]) -> tuple[AtOnce, Callable[[], tuple[int, str]] | None]:
    """`AtOnce`'s first pipeline, queued: BEGIN, what the kinds queue, the chain's lock and head."""
    from yiwang.core import audit  # it submits records through this module

    batch = AtOnce()
    batch.conn.execute("BEGIN")
    for group in _by_kind(jobs):
        group[0].kind.write_at_once(batch, [j.item for j in group])
    head = audit.chain_head_locked(batch.conn) if batch.audit_rows else None
    return batch, head


def _second_half(batch: AtOnce, head: Callable[[], tuple[int, str]] | None) -> bool:
    """Once the first pipeline's results are in: queue the chained audit rows and COMMIT, or,
    when a check fails, ROLLBACK and return False."""
    from yiwang.core import audit

    if not all(check() for check in batch.checks):
        batch.conn.execute("ROLLBACK")
        return False
    if head is not None:
        audit.append_chained(batch.conn, head(), batch.audit_rows)
    batch.conn.execute("COMMIT")
    return True


def _commit_at_once(raw: Any, jobs: list[_Job[Any]]) -> bool:
    """The common case on PostgreSQL (nothing refused): `AtOnce` on the writer thread's
    connection. False: rolled back, nothing written."""
    raw.autocommit = True  # BEGIN and COMMIT travel in the pipelines with the statements
    try:
        batch, head = _first_half(jobs)
        _run(raw, batch.conn.take())
        done = _second_half(batch, head)
        _run(raw, batch.conn.take())
        return done
    except BaseException:
        raw.rollback()
        raise
    finally:
        if raw.pgconn.transaction_status == TransactionStatus.IDLE:  # else the connection is dropped
            raw.autocommit = False


def _run(raw: Any, parts: list[list[Queued] | CopyRows]) -> None:
    for part in parts:
        if isinstance(part, CopyRows):
            with raw.cursor() as cur, cur.copy(part.sql) as copy:
                for row in part.rows:
                    copy.write_row(row)
            continue
        with raw.pipeline():
            cursors = [raw.execute(q.sql, q.params, prepare=q.prepare) for q in part]
        for q, cur in zip(part, cursors, strict=True):
            q.rowcount, q.rows = cur.rowcount, cur.fetchall() if cur.description is not None else []


async def _commit_at_once_async(conn: psycopg.AsyncConnection[Any], jobs: list[_Job[Any]]) -> bool:
    """`_commit_at_once` on a loop writer's connection (autocommit: BEGIN and COMMIT are
    statements of the pipelines). On an error its transaction is left open: the caller closes
    the connection."""
    batch, head = _first_half(jobs)
    await _run_async(conn, batch.conn.take())
    done = _second_half(batch, head)
    await _run_async(conn, batch.conn.take())
    return done


async def _run_async(conn: psycopg.AsyncConnection[Any], parts: list[list[Queued] | CopyRows]) -> None:
    for part in parts:
        if isinstance(part, CopyRows):
            async with conn.cursor() as cur, cur.copy(part.sql) as copy:
                for row in part.rows:
                    await copy.write_row(row)
            continue
        async with conn.pipeline():
            cursors = [await conn.execute(q.sql, q.params, prepare=q.prepare) for q in part]
        for q, cur in zip(part, cursors, strict=True):
            q.rowcount, q.rows = cur.rowcount, await cur.fetchall() if cur.description is not None else []


class _LoopWriter:
    """The group-commit writer of one event loop on PostgreSQL: a task on the loop, started
    when records arrive and running while they keep arriving, commits them with `AtOnce` on a
    connection of its own, and settles and wakes their requests right there. While one batch
    is in flight, the next one gathers. A batch the fast path cannot decide (a refusal, a first
    use of the day) or that fails is handed to the writer thread, which decides its records
    one by one as for any other batch."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.pending: list[_Job[Any]] = []
        self.task: asyncio.Task[None] | None = None
        self.conn: psycopg.AsyncConnection[Any] | None = None

    def put(self, job: _Job[Any]) -> None:
        self.pending.append(job)
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._run(), name="group-commit")

    async def _run(self) -> None:
        try:
            while self.pending:
                jobs, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
                jobs = [j for j in jobs if j.done.set_running_or_notify_cancel()]  # as `_Writer._take`
                if jobs:
                    await self._write(jobs)
        except BaseException:  # cancelled (the server stops): what is still queued goes to the thread
            jobs, self.pending = self.pending, []
            _hand_over([j for j in jobs if j.done.set_running_or_notify_cancel()])
            raise
        finally:
            self.task = None

    async def _write(self, jobs: list[_Job[Any]]) -> None:
        BATCH_SIZE.observe(len(jobs))
        try:
            if self.conn is None or self.conn.closed:
                self.conn = await psycopg.AsyncConnection.connect(
                    self.url, autocommit=True, application_name=APPLICATION_NAME, options="-c timezone=UTC"
                )
            done = await _commit_at_once_async(self.conn, jobs)
        except BaseException as exc:  # nothing committed; the connection's state is unknown
            await self.close()
            _hand_over(jobs)
            if not isinstance(exc, Exception):
                raise  # cancelled (the server stops): the writer thread still decides the jobs
            log.warning("group commit on the loop failed (%s); handed to the writer thread", exc)
            return
        if not done:  # rolled back: a record needs `Kind.write`'s decision
            _hand_over(jobs)
            return
        for scopes in _settle([(job, None) for job in jobs]).values():
            _wake(scopes)  # on this loop: no self-pipe

    async def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None and not conn.closed:
            await conn.close()  # an open transaction is rolled back by the server


def _hand_over(jobs: list[_Job[Any]]) -> None:
    writer = _writer()
    for job in jobs:
        job.handed_over = True
        writer.put(job)


_loop_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopWriter] = weakref.WeakKeyDictionary()


async def close_loop_writer() -> None:
    """Close the current loop's writer connection (when the server stops), once it is idle."""
    writer = _loop_writers.pop(asyncio.get_running_loop(), None)
    if writer is not None:
        if writer.task is not None:
            await asyncio.wait([writer.task])
        await writer.close()


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
    """After the writer thread's commit: settle each record with its outcome, then wake each
    waiting loop once for all of its requests in the batch."""
    for loop, scopes in _settle(outcomes).items():
        try:
            loop.call_soon_threadsafe(_wake, scopes)
        except RuntimeError:  # the loop is closed: nobody is waiting there any more
            continue


def _settle(
    outcomes: Sequence[tuple[_Job[Any], BaseException | None]],
) -> dict[asyncio.AbstractEventLoop, list[Scope]]:
    """Settle each record with its outcome; the scopes to wake, by loop."""
    woken: dict[asyncio.AbstractEventLoop, list[Scope]] = {}
    for job, error in outcomes:
        if not job.done.done():
            if error is None:
                job.done.set_result(None)
            else:
                job.done.set_exception(error)
        if job.scope.loop is not None:
            woken.setdefault(job.scope.loop, []).append(job.scope)
    return woken


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
