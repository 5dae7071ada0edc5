"""SQL of the audit log (the only place that queries audit tables)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson
from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.orm import Session

from yiwang.core.audit import GENESIS, AuditCheckpoint, AuditRecord
from yiwang.core.db import insert_rows, insert_rows_raw


def chain_head(session: Session) -> tuple[int, str]:
    row = session.execute(
        select(AuditRecord.chain_seq, AuditRecord.chain_hash)
        .where(AuditRecord.chain_seq.is_not(None))
        .order_by(AuditRecord.chain_seq.desc())
        .limit(1)
    ).first()
    return (int(row[0] or 0), str(row[1])) if row else (0, GENESIS)


def unsealed(session: Session, limit: int) -> list[tuple[int, str]]:
    rows = session.execute(
        select(AuditRecord.id, AuditRecord.record_hash)
        .where(AuditRecord.chain_seq.is_(None))
        .order_by(AuditRecord.id)
        .limit(limit)
    ).all()
    return [(r[0], r[1]) for r in rows]


def unsealed_count(session: Session) -> int:
    return session.scalar(select(func.count()).where(AuditRecord.chain_seq.is_(None))) or 0


def set_chains(session: Session, links: list[tuple[int, int, str]]) -> None:
    """(record id, chain seq, chain hash) for a whole batch in one executemany UPDATE."""
    if not links:
        return
    if session.get_bind().dialect.name == "postgresql":  # one statement, one JSON parameter
        session.execute(
            text(
                "UPDATE audit_record AS a SET chain_seq = v.seq, chain_hash = v.hash "
                "FROM json_to_recordset(CAST(:links AS json)) AS v(rid bigint, seq bigint, hash text) "
                "WHERE a.id = v.rid"
            ),
            {"links": orjson.dumps([{"rid": r, "seq": q, "hash": h} for r, q, h in links]).decode()},
        )
        return
    table = AuditRecord.__table__  # the Core table: executemany, not ORM bulk-by-primary-key
    stmt = (
        update(table)  # type: ignore[arg-type]
        .where(table.c.id == bindparam("rid"))
        .values(chain_seq=bindparam("seq"), chain_hash=bindparam("hash"))
    )
    session.connection().execute(stmt, [{"rid": r, "seq": q, "hash": h} for r, q, h in links])


def sealed_in_order(session: Session, batch: int = 5000) -> Iterator[AuditRecord]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditRecord)
            .where(AuditRecord.chain_seq > last)
            .order_by(AuditRecord.chain_seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].chain_seq or last
        session.expunge_all()


def checkpoints(session: Session) -> list[AuditCheckpoint]:
    return list(session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.chain_seq)))


def id_at_seq(session: Session, seq: int) -> int | None:
    return session.scalar(select(AuditRecord.id).where(AuditRecord.chain_seq == seq))


def for_subject(
    session: Session, person_id: int | None = None, enterprise_id: int | None = None, limit: int = 100
) -> list[AuditRecord]:
    """Uses of one person's or one enterprise's data, newest first."""
    column = AuditRecord.subject_person_id if person_id is not None else AuditRecord.subject_enterprise_id
    return list(
        session.scalars(
            select(AuditRecord)
            .where(column == (person_id if person_id is not None else enterprise_id))
            .order_by(AuditRecord.id.desc())
            .limit(limit)
        )
    )


def count(session: Session) -> int:
    """Sealed rows (chain seqs run 1..head without gaps) plus unsealed ones: two index probes,
    where count(*) reads the whole table."""
    return chain_head(session)[0] + unsealed_count(session)


def insert_many(session: Session, rows: list[dict[str, Any]]) -> None:
    insert_rows(session, AuditRecord.__table__, rows)


def chain_head_locked_raw(conn: Any, lock_id: int) -> Callable[[], tuple[int, str]]:
    """Queue (pipeline mode) the chain lock, held until commit, and then the head's read.

    The head's read is planned on every run, never prepared: it has no parameters, so a
    prepared statement keeps the one generic plan made at its fifth run, and on a young
    table that plan is a sequential scan and sort (a page or two). The writer's connection
    lives for days, the table grows by every answered call, and without an ANALYZE in
    between (autovacuum off, or before it comes round) each batch read the whole table:
    20 ms at 40,000 rows, and a writer backend using most of a core."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_id,))
    head = conn.execute("SELECT chain_seq, chain_hash FROM audit_record WHERE chain_seq IS NOT NULL "
                        "ORDER BY chain_seq DESC LIMIT 1", prepare=False)  # fmt: skip

    def read() -> tuple[int, str]:
        row = head.fetchone()
        return (int(row[0]), str(row[1])) if row else (0, GENESIS)

    return read


def insert_linked_raw(conn: Any, rows: list[dict[str, Any]], checkpoints: list[dict[str, Any]]) -> None:
    """Queue the COPY of chained rows (a group-commit writer's `Statements`) and the INSERT of
    their checkpoints (bytea travels as \\x hex)."""
    if rows:
        columns = tuple(rows[0])
        detail = columns.index("detail")
        as_json: dict[int, str | None] = {}  # the rows of one call share their detail: encoded once
        values = []
        for row in rows:
            value = [row.get(c) for c in columns]
            d = value[detail]
            if id(d) not in as_json:
                as_json[id(d)] = None if d is None else orjson.dumps(d).decode()
            value[detail] = as_json[id(d)]
            values.append(tuple(value))
        conn.copy(AuditRecord.__tablename__, columns, values)
    insert_rows_raw(conn, AuditCheckpoint.__tablename__,
                    [{**cp, "public_key": "\\x" + cp["public_key"].hex(), "signature": "\\x" + cp["signature"].hex()}
                     for cp in checkpoints])  # fmt: skip


def latest(session: Session, limit: int = 50) -> list[AuditRecord]:
    """The newest audit records, newest first."""
    return list(session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)))
