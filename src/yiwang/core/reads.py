"""Reads on the event loop: what a request only reads, it reads here without a thread.

A sync route runs in the thread pool, and each of its hops between the loop and a pooled
thread, and each turn of the GIL among 20 such threads, is a context switch: about 25 a
request, more than half of a bare primary-key read's cost on a small VM (docs/benchmarks.md
§0d). A route whose only I/O is one SELECT (the exchange's uses, most of the API's traffic)
runs on the loop instead and awaits that SELECT here.

On PostgreSQL the statement, built and cached by a repository as usual, is compiled once and
sent on a pool of psycopg async connections in autocommit (no BEGIN, no COMMIT, no pre-ping:
one round trip). A connection the server dropped (a restart, a terminated backend) fails its
statement: every idle connection of the pool is closed and the SELECT is sent once more on a
new one; only a server that cannot be reached answers 503 with Retry-After (`Unavailable`).
Statements bind strings, numbers and lists of them, which psycopg adapts as they are.

On SQLite, and for a caller outside a request (CLI, jobs, tests: their own transaction), the
statement runs on the caller's session: in a thread from a request (SQLite's read takes the
file lock), inline otherwise.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

import anyio
import psycopg
from sqlalchemy import Engine, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from yiwang.core.db import connect_async, get_engine, reads_autocommit
from yiwang.core.errors import Unavailable
from yiwang.settings import get_settings

log = logging.getLogger(__name__)
Rows = list[dict[str, Any]]
APPLICATION_NAME = "yiwang-read-loop"  # how the pool's connections show in pg_stat_activity
READ_SESSION = "request_read"  # `Session.info` key of a request's read-only session (`deps.UnitOfWork`)


class _Compiled:
    """A statement as psycopg takes it: SQL text, the bound values it carries, its result
    column names and the type conversions SQLAlchemy would apply to them."""

    __slots__ = ("convert", "names", "params", "sql")

    def __init__(self, stmt: Select[Any], dialect: Dialect) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql = str(compiled)
        self.params = dict(compiled.params)
        self.names = [str(c.key) for c in stmt.selected_columns]
        processors = [
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in stmt.selected_columns
        ]
        self.convert: list[tuple[int, Callable[[Any], Any]]] = [
            (i, p) for i, p in enumerate(processors) if p is not None
        ]

    def rows(self, fetched: list[tuple[Any, ...]]) -> Rows:
        names, convert = self.names, self.convert
        if not convert:
            return [dict(zip(names, row, strict=True)) for row in fetched]
        out = []
        for row in fetched:
            values = list(row)
            for i, process in convert:
                values[i] = process(values[i])
            out.append(dict(zip(names, values, strict=True)))
        return out


# Statements are built once per read plan and kept by their repository (lru_cache), so the
# compiled form lives as long as the statement does.
_compiled: weakref.WeakKeyDictionary[Select[Any], _Compiled] = weakref.WeakKeyDictionary()


def _compile(stmt: Select[Any]) -> _Compiled:
    hit = _compiled.get(stmt)
    if hit is None:
        hit = _compiled[stmt] = _Compiled(stmt, get_engine().dialect)
    return hit


class _Pool:
    """Autocommit connections of one event loop (a psycopg async connection waits on the loop
    that uses it), at most `db_pool_size`; opened when first needed, kept while they work."""

    def __init__(self, engine: Engine, size: int) -> None:
        self.engine, self.size, self.opened = engine, size, 0
        self.idle: list[psycopg.AsyncConnection[Any]] = []
        self.waiting: deque[asyncio.Future[psycopg.AsyncConnection[Any] | None]] = deque()

    async def take(self) -> psycopg.AsyncConnection[Any]:
        while True:
            if self.idle:
                return self.idle.pop()
            if self.opened < self.size:
                self.opened += 1
                try:
                    return await connect_async(self.engine, APPLICATION_NAME)
                except BaseException:
                    self._free_slot()
                    raise
            waiter = asyncio.get_running_loop().create_future()
            self.waiting.append(waiter)
            try:
                conn = await waiter  # handed over by `give`, or None: a slot was freed
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled() and (handed := waiter.result()) is not None:
                    self.give(handed)  # it arrived as the request gave up: pass it on
                raise
            if conn is not None:
                return conn

    def give(self, conn: psycopg.AsyncConnection[Any]) -> None:
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        self.idle.append(conn)

    async def drop(self, conn: psycopg.AsyncConnection[Any], everyone: bool) -> None:
        """Close `conn` (and, after a lost connection, every idle one: a server restart took them
        all) and free their slots."""
        doomed = [conn, *self.idle] if everyone else [conn]
        if everyone:
            self.idle.clear()
        for c in doomed:
            self._free_slot()
            with anyio.CancelScope(shield=True):
                await c.close()

    def _free_slot(self) -> None:
        self.opened -= 1
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return


_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Pool] = weakref.WeakKeyDictionary()


def _pool() -> _Pool:
    loop, engine = asyncio.get_running_loop(), get_engine()
    pool = _pools.get(loop)
    if pool is None or pool.engine is not engine:  # first use on this loop, or another database (tests)
        pool = _pools[loop] = _Pool(engine, get_settings().db_pool_size)
    return pool


async def fetch(
    session: Session, stmt: Select[Any], params: dict[str, Any] | None, on_session: Callable[..., Rows]
) -> Rows:
    """The statement's rows as dicts (`on_session(session, stmt, params)` where the caller's
    session reads them); see the module's docstring for where it runs."""
    if not session.info.get(READ_SESSION):
        return on_session(session, stmt, params)  # the caller's own transaction
    if not reads_autocommit():
        return await anyio.to_thread.run_sync(on_session, session, stmt, params)
    compiled = _compile(stmt)
    pool = _pool()
    for retry in (True, False):
        try:
            conn = await pool.take()
        except psycopg.OperationalError as exc:  # the server is down or refuses connections
            raise _unavailable() from exc
        try:
            cursor = await conn.execute(compiled.sql, {**compiled.params, **(params or {})})
            fetched = await cursor.fetchall()
        except psycopg.OperationalError as exc:
            lost = conn.closed or conn.broken
            await pool.drop(conn, everyone=lost)
            if not lost:
                raise
            if retry:  # a restart or a terminated backend: read again on a new connection
                log.warning("read connection lost (%s); reading again on a new one", type(exc).__name__)
                continue
            raise _unavailable() from exc
        except BaseException:  # cancelled mid-statement, or a bad statement: its state is unknown
            await pool.drop(conn, everyone=False)
            raise
        pool.give(conn)
        return compiled.rows(fetched)
    raise AssertionError("unreachable")


def _unavailable() -> Unavailable:
    err = Unavailable("数据库暂时无法连接，请稍后重试")
    err.retry_after = 1
    return err


async def close_all() -> None:
    """Close the current loop's idle connections (when the server stops)."""
    pool = _pools.pop(asyncio.get_running_loop(), None)
    for conn in pool.idle if pool is not None else []:
        await conn.close()
