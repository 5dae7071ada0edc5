"""Engine, sessions and the declarative base; SQLite (WAL) and PostgreSQL alike.

The adapter (route, CLI command, job) owns the transaction: `transaction()` commits
when the block ends and rolls back on any error; actions only flush.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
import psycopg
from psycopg.types.json import Json
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from yiwang.settings import get_settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        # SQLite hands back naive values; PostgreSQL hands back the session's time zone.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


_PG_CONNECT_ARGS: dict[str, Any] = {
    "options": "-c timezone=UTC"
}  # every PostgreSQL connection's session settings


def make_engine(url: str, pool_size: int = 20) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "connect")
        def _sqlite_manual_begin(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None

        @event.listens_for(engine, "begin")
        def _sqlite_begin_immediate(conn: Any) -> None:
            # Almost every request writes (audit), so take the write lock up front: writers
            # queue on busy_timeout instead of failing when a read transaction upgrades.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # Keep enough connections for the usual concurrency (32 requests on one worker): a connection
    # opened above pool_size is closed when returned, and opening one costs a PostgreSQL backend
    # fork and a cold catalog cache (with 10 kept: ~5% of a governed read's Python time at 32
    # connections, docs/benchmarks.md §0).
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args=_PG_CONNECT_ARGS,
    )


@lru_cache
def get_engine() -> Engine:
    s = get_settings()
    return make_engine(s.database_url, s.db_pool_size)


@lru_cache
def _session_factory() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False, autoflush=False)


READ_APPLICATION_NAME = "yiwang-read"  # how the read pool's connections show in pg_stat_activity


async def connect_async(engine: Engine, application_name: str) -> psycopg.AsyncConnection[Any]:
    """An autocommit psycopg async connection to the engine's database, outside its pools (a
    loop's reads and group-commit writer), with the session settings the engines give theirs.
    The connect arguments come from the dialect (host, dbname, user, password, port, query
    options), not a rendered URL."""
    _args, kwargs = engine.dialect.create_connect_args(engine.url)
    kwargs.pop("context", None)  # SQLAlchemy's adapters stay its own
    kwargs.update(_PG_CONNECT_ARGS, application_name=application_name)
    return await psycopg.AsyncConnection.connect(autocommit=True, **kwargs)


def reads_autocommit() -> bool:
    """Whether `new_read_session` gives an autocommit session (PostgreSQL) or a plain one (SQLite)."""
    return not get_settings().database_url.startswith("sqlite")


@lru_cache
def _read_engine() -> Engine:
    """PostgreSQL's engine for read-only requests, with a pool of its own. A read needs no
    transaction: each statement is its own snapshot, and what the read leaves behind (audit and
    usage rows) goes by group commit on the writer's own connection. So no BEGIN and no COMMIT
    round trip, and no pre-ping either: a read costs one round trip instead of four, which on
    a loaded server is most of a primary-key read's time (docs/benchmarks.md §0c). A connection
    the server dropped fails its statement once: the pool is then invalidated, and the request
    answers 503 (`core.web.errors`) so that the client retries."""
    s = get_settings()
    return create_engine(
        s.database_url,
        pool_size=s.db_pool_size,
        max_overflow=0,  # its users are sync routes, at most db_pool_size of them at once (app.py)
        isolation_level="AUTOCOMMIT",
        connect_args={**_PG_CONNECT_ARGS, "application_name": READ_APPLICATION_NAME},
    )


@lru_cache
def _read_session_factory() -> sessionmaker[Session]:
    engine = _read_engine() if reads_autocommit() else get_engine()
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


def new_session() -> Session:
    return _session_factory()()


def new_read_session() -> Session:
    """A session for a request that only reads (`reads_autocommit`); it must not write."""
    return _read_session_factory()()


@contextmanager
def transaction() -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    session = new_session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def reset_engine() -> None:
    """Forget the cached engine (tests switch databases through the environment)."""
    from yiwang.core import cache

    for engine in (get_engine, _read_engine):
        if engine.cache_info().currsize:
            engine().dispose()
        engine.cache_clear()
    _session_factory.cache_clear()
    _read_session_factory.cache_clear()
    cache.clear_all()


def fetch_rows(session: Session, stmt: Any, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """A SELECT's rows as dicts, in the session's transaction."""
    result = session.execute(stmt, params)
    names = list(result.keys())
    return [dict(zip(names, row, strict=True)) for row in result]  # a third of .mappings()' cost


def bulk_insert(session: Session, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """The fastest insert each database offers, inside the session's transaction:
    COPY on PostgreSQL, executemany on the raw sqlite3 connection."""
    conn = session.connection()
    raw: Any = conn.connection.dbapi_connection
    cols = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns)
        raw.cursor().executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)


def insert_rows(session: Session, table: Any, rows: list[dict[str, Any]], pg_suffix: str = "",
                other: Any = None) -> list[Any]:  # fmt: skip
    """A multi-row INSERT of dicts with the same keys in the session's transaction; returns the
    rows of a RETURNING clause. On PostgreSQL the rows travel as one JSON parameter
    (`json_populate_recordset`) and `pg_suffix` (it must end in RETURNING …) is appended:
    the statement text is the same for any number of rows, so the driver converts and prepares
    it once, where a VALUES list is a new statement, parsed again in Python, for every length.
    Elsewhere the Core statement `other` (default: a plain INSERT) runs as executemany."""
    if not rows:
        return []
    if session.get_bind().dialect.name != "postgresql":
        from sqlalchemy import insert

        result = session.execute(other if other is not None else insert(table), rows)
        return list(result) if pg_suffix else []  # `other` returns rows where the suffix does
    stmt = text(_populate_sql(table.name, tuple(rows[0]), ":rows", pg_suffix))
    result = session.execute(stmt, {"rows": orjson.dumps(rows).decode()})
    return list(result) if pg_suffix else []


def insert_rows_raw(conn: Any, table_name: str, rows: list[dict[str, Any]], suffix: str = "") -> Any:
    """`insert_rows` on a bare psycopg connection (PostgreSQL), for the group-commit writer's
    fast path: returns the driver's cursor, whose RETURNING rows are there once the results
    are in (at once, or at the end of the pipeline block in pipeline mode). None: no rows."""
    if not rows:
        return None
    # psycopg sends the bytes orjson makes as they are (no str to decode and encode again)
    return conn.execute(_populate_sql(table_name, tuple(rows[0]), "%(rows)s", suffix),
                        {"rows": Json(rows, dumps=orjson.dumps)})  # fmt: skip


@lru_cache(maxsize=64)
def _populate_sql(table_name: str, columns: tuple[str, ...], placeholder: str, suffix: str) -> str:
    cols = ", ".join(columns)
    return (f"INSERT INTO {table_name} ({cols}) SELECT {cols} FROM "
            f"json_populate_recordset(NULL::{table_name}, CAST({placeholder} AS json)) {suffix}")  # fmt: skip


def analyze(*tables: str) -> None:
    """Refresh planner statistics after a bulk load."""
    with get_engine().begin() as conn:
        for table in tables:
            conn.execute(text(f"ANALYZE {table}"))
