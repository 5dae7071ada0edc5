"""SQL of the event outbox and of the subscribers' handled marks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from yiwang.core.events import EventHandled, OutboxEvent


def add(session: Session, row: OutboxEvent) -> None:
    session.add(row)
    session.flush()


def by_ids(session: Session, ids: Sequence[int]) -> list[OutboxEvent]:
    if not ids:
        return []
    return list(session.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(ids)).order_by(OutboxEvent.id)))


def due_for_dispatch(session: Session, now: datetime, older_than: datetime, limit: int) -> list[int]:
    """Events still to hand to subscribers: written before `older_than` (the live dispatcher
    handles the newer ones) and not waiting out a retry."""
    return list(session.scalars(
        select(OutboxEvent.id)
        .where(OutboxEvent.dispatch_pending, OutboxEvent.time < older_than,
               or_(OutboxEvent.dispatch_after.is_(None), OutboxEvent.dispatch_after <= now))
        .order_by(OutboxEvent.id).limit(limit)
    ))  # fmt: skip


def mark_handled(session: Session, consumer: str, seq: int, now: datetime) -> bool:
    """Record that `consumer` handles event `seq` in this transaction; False if it already has.
    On PostgreSQL a concurrent handler of the same event waits here until the first commits
    (then finds the mark) or rolls back (then takes over)."""
    dialect = session.get_bind().dialect.name
    values = {"consumer": consumer, "event_seq": seq, "handled_at": now}
    if dialect == "postgresql":
        stmt: Any = pg_insert(EventHandled).values(values).on_conflict_do_nothing()
    else:
        stmt = sqlite_insert(EventHandled).values(values).on_conflict_do_nothing()
    return session.execute(stmt.returning(EventHandled.event_seq)).first() is not None


def finish_dispatch(session: Session, done: Sequence[int], failed: dict[int, tuple[str, datetime]]) -> None:
    """Done events leave the work list; failed ones wait until their retry time."""
    if done:
        session.execute(update(OutboxEvent).where(OutboxEvent.id.in_(done))
                        .values(dispatch_pending=False, dispatch_error=None))  # fmt: skip
    for seq, (error, after) in failed.items():
        session.execute(
            update(OutboxEvent).where(OutboxEvent.id == seq)
            .values(dispatch_attempts=OutboxEvent.dispatch_attempts + 1, dispatch_after=after,
                    dispatch_error=error[:2000])
        )  # fmt: skip


def attempts(session: Session, ids: Sequence[int]) -> dict[int, int]:
    rows = session.execute(
        select(OutboxEvent.id, OutboxEvent.dispatch_attempts).where(OutboxEvent.id.in_(ids))
    )
    return {int(r[0]): int(r[1]) for r in rows}


def since(
    session: Session, after_seq: int, at: datetime | None, pattern: str | None, limit: int
) -> list[OutboxEvent]:
    """Events in outbox order after a sequence number (and at or after a time), SQL LIKE on type."""
    q = select(OutboxEvent).where(OutboxEvent.id > after_seq)
    if at is not None:
        q = q.where(OutboxEvent.time >= at)
    if pattern:
        q = q.where(OutboxEvent.type.like(pattern.replace("*", "%")))
    return list(session.scalars(q.order_by(OutboxEvent.id).limit(limit)))


def last_seq(session: Session) -> int:
    return int(session.scalar(select(func.max(OutboxEvent.id))) or 0)


def first_seq_at(session: Session, at: datetime) -> int | None:
    return session.scalar(select(func.min(OutboxEvent.id)).where(OutboxEvent.time >= at))


def requeue(session: Session, from_seq: int, to_seq: int, nats: bool) -> int:
    """Put events back on the work lists (an operator's replay)."""
    values: dict[str, Any] = {"dispatch_pending": True, "dispatch_after": None, "dispatch_attempts": 0}
    if nats:
        values.update(nats_pending=True, publish_after=None, publish_attempts=0)
    result = session.execute(
        update(OutboxEvent).where(OutboxEvent.id.between(from_seq, to_seq)).values(values)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def forget_handled(session: Session, consumer: str, from_seq: int) -> int:
    """Drop a consumer's marks from an event on, so that a replay runs it again."""
    result = session.execute(delete(EventHandled).where(EventHandled.consumer == consumer,
                                                        EventHandled.event_seq >= from_seq))  # fmt: skip
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def pending_counts(session: Session) -> tuple[int, int, int]:
    """(events waiting for subscribers, of which failing at least once, waiting for NATS)."""
    dispatch = session.scalar(select(func.count()).where(OutboxEvent.dispatch_pending)) or 0
    failing = session.scalar(select(func.count()).where(OutboxEvent.dispatch_pending,
                                                        OutboxEvent.dispatch_attempts > 0)) or 0  # fmt: skip
    publish = session.scalar(select(func.count()).where(OutboxEvent.nats_pending)) or 0
    return int(dispatch), int(failing), int(publish)
