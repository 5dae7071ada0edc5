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
import contextlib
import contextvars
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
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from yiwang.core.db import connect_async, get_engine, reads_autocommit
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
    xid: Queued | None = (
        None  # the transaction's id, to ask whether a COMMIT whose answer was lost went through
    )


class UnknownOutcome(Exception):
    """A batch's COMMIT was sent and its answer lost (the connection broke, or the task was
    cancelled): `xid` says whether it committed (`pg_xact_status`)."""

    def __init__(self, xid: str) -> None:
        super().__init__(f"outcome of transaction {xid} unknown")
        self.xid = xid


@dataclass
class _Job(Generic[T]):
    kind: Kind[T]
    item: T
    done: Future[None]
    scope: Scope
    handed_over: bool = False  # taken by a loop writer that left the decision to the writer thread
    xid: str | None = None  # handed over with the transaction whose COMMIT may have written it


class Scope:
    """The records one request submitted, and its wait until all of them are committed."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self.jobs: list[_Job[Any]] = []
        self.loop = loop  # the request's event loop, woken by the writer (None: wait in a thread)
        self.gave_up = False  # the request stopped waiting: a record handed over is not written
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
        self.gave_up = True
        for job in self.jobs:
            job.done.cancel()  # only the ones no writer has taken

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
        if writer is not None and writer.task is None:
            closing = loop.create_task(writer.close())
            _closing.add(closing)
            closing.add_done_callback(_closing.discard)
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
        taken = []
        for j in jobs:
            if not j.handed_over:
                if j.done.set_running_or_notify_cancel():
                    taken.append(j)
            elif j.scope.gave_up:  # its request already answered 503: never write it now
                j.done.set_exception(TimeoutError("the request stopped waiting"))
            else:
                taken.append(j)
        return taken

    def _write(self, jobs: list[_Job[Any]]) -> None:
        jobs = self._unless_committed(jobs)
        if not jobs:
            return
        BATCH_SIZE.observe(len(jobs))
        try:  # jobs a loop writer handed over already failed the fast path: straight to `write`
            outcomes = self._commit(jobs, at_once=not any(j.handed_over for j in jobs))
        except UnknownOutcome as unknown:  # on this thread's connection
            for job in jobs:
                job.xid = unknown.xid
            self._write(jobs)
            return
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

    def _unless_committed(self, jobs: list[_Job[Any]]) -> list[_Job[Any]]:
        """Settle the jobs of a transaction whose COMMIT went through though its answer was lost;
        the others are still to write."""
        rest = []
        verdicts: dict[str, bool] = {}
        for job in jobs:
            if job.xid is None:
                rest.append(job)
                continue
            if job.xid not in verdicts:
                verdicts[job.xid] = _committed(job.xid)
                log.warning("group commit: transaction %s whose answer was lost %s", job.xid,
                            "committed" if verdicts[job.xid] else "did not commit: writing it again")  # fmt: skip
            if verdicts[job.xid]:
                _report([(job, None)])
            else:
                job.xid = None
                rest.append(job)
        return rest

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
    batch.xid = batch.conn.execute("SELECT pg_current_xact_id()::text")
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
        try:
            _run(raw, batch.conn.take())
        except Exception as exc:
            if done:  # COMMIT was sent
                raise UnknownOutcome(_xid(batch)) from exc
            raise
        return done
    except BaseException:
        with contextlib.suppress(Exception):  # a broken connection: it is dropped by the caller
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
    try:
        await _run_async(conn, batch.conn.take())
    except BaseException as exc:
        if done:  # COMMIT was sent; cancelled or broken before its answer came
            raise UnknownOutcome(_xid(batch)) from exc
        raise
    return done


def _xid(batch: AtOnce) -> str:
    assert batch.xid is not None and batch.xid.rows, "the first pipeline reads the transaction id"
    return str(batch.xid.rows[0][0])


def _committed(xid: str, wait: float = 10.0) -> bool:
    """Whether transaction `xid` committed, asked on a new connection (on the writer thread),
    waiting while the server still has it in progress."""
    deadline = time.monotonic() + wait
    try:
        with get_engine().connect() as conn:
            while True:
                status = conn.execute(text("SELECT pg_xact_status(CAST(:x AS xid8))"), {"x": xid}).scalar()
                conn.rollback()
                if status != "in progress" or time.monotonic() > deadline:
                    return status == "committed"
                time.sleep(0.05)
    except Exception:
        log.exception("group commit: could not ask whether transaction %s committed", xid)
        return False


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
        self.pending: list[_Job[Any]] = []
        self.task: asyncio.Task[None] | None = None
        self.conn: psycopg.AsyncConnection[Any] | None = None

    def put(self, job: _Job[Any]) -> None:
        self.pending.append(job)
        if self.task is None or self.task.done():  # (done: cancelled before it ever ran)
            # a context of its own, not the first request's (its request id, its scope)
            self.task = asyncio.get_running_loop().create_task(
                self._run(), name="group-commit", context=contextvars.Context()
            )

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
                self.conn = await connect_async(self.engine, APPLICATION_NAME)
            done = await _commit_at_once_async(self.conn, jobs)
        except BaseException as exc:  # the connection's state is unknown; the thread decides the jobs
            unknown = exc if isinstance(exc, UnknownOutcome) else None
            _hand_over(jobs, unknown.xid if unknown else None)  # first: closing may be cancelled too
            await self.close()
            cause = exc.__cause__ if unknown else exc
            if cause is not None and not isinstance(cause, Exception):
                raise cause from None  # cancelled (the server stops)
            log.warning("group commit on the loop failed (%s); handed to the writer thread", cause)
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


def _hand_over(jobs: list[_Job[Any]], xid: str | None = None) -> None:
    """To the writer thread, which decides each job (after asking whether `xid`, a transaction
    whose COMMIT may have written them, did)."""
    writer = _writer()
    for job in jobs:
        job.handed_over, job.xid = True, xid
        writer.put(job)


_closing: set[asyncio.Task[None]] = set()  # writers of a previous database, closing
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
