"""SQL of the event outbox and of the subscribers' handled marks."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from yiwang.core.events import Event, EventHandled, OutboxEvent


def add(session: Session, row: OutboxEvent) -> None:
    session.add(row)
    session.flush()


def by_ids(session: Session, ids: Sequence[int]) -> list[OutboxEvent]:
    if not ids:
        return []
    return list(session.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(ids)).order_by(OutboxEvent.id)))


# The partial indexes' conditions as the indexes spell them: SQLite uses a partial index only
# for a WHERE with the same terms, and SQLAlchemy writes a boolean column as `dispatch_pending = 1`.
_TO_DISPATCH = text("event_outbox.dispatch_pending")


def due_for_dispatch(session: Session, now: datetime, older_than: datetime, limit: int) -> list[int]:
    """Events still to hand to subscribers: written before `older_than` (the live dispatcher
    handles the newer ones) and not waiting out a retry."""
    return list(session.scalars(
        select(OutboxEvent.id)
        .where(_TO_DISPATCH, OutboxEvent.time < older_than,
               or_(OutboxEvent.dispatch_after.is_(None), OutboxEvent.dispatch_after <= now))
        .order_by(OutboxEvent.id).limit(limit)
    ))  # fmt: skip


_CONSUMER_LOCK = 0x7965  # advisory-lock namespace (two-key form) of event subscribers


def lock_consumer(session: Session, consumer: str) -> None:
    """A subscriber's lock until commit (PostgreSQL; SQLite has one writer anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(consumer.encode()) & 0x7FFFFFFF
        session.execute(select(func.pg_advisory_xact_lock(_CONSUMER_LOCK, key)))


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


def mark_handled_many(session: Session, consumer: str, seqs: Sequence[int], now: datetime) -> set[int]:
    """`mark_handled` for a batch in one statement: the events this consumer had not handled yet."""
    if not seqs:
        return set()
    dialect = session.get_bind().dialect.name
    rows = [{"consumer": consumer, "event_seq": seq, "handled_at": now} for seq in seqs]
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt: Any = insert(EventHandled).values(rows).on_conflict_do_nothing().returning(EventHandled.event_seq)
    return {int(r[0]) for r in session.execute(stmt)}


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
    if not ids:  # the usual dispatch: nothing failed, nothing to ask
        return {}
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
        escaped = pattern.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%")
        q = q.where(OutboxEvent.type.like(escaped, escape="\\"))
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


# --- publishing to NATS JetStream (core.events_nats) ----------------------------------------------

# The work list's predicate exactly as the partial index ix_event_outbox_to_publish states it:
# SQLite uses a partial index only for a WHERE that contains its term verbatim, and SQLAlchemy
# renders the Boolean column as `nats_pending = 1` there (a scan of the whole log).
_TO_PUBLISH = text("event_outbox.nats_pending")


@dataclass(frozen=True)
class Claimed:
    """An event a relay claimed for publishing, with what it needs to publish and retry it."""

    event: Event
    attempts: int  # failed publishes so far


def claim_for_publish(session: Session, now: datetime, lease_until: datetime, limit: int) -> list[Claimed]:
    """Claim the first due events still to publish, in outbox order: their `publish_after`
    becomes the end of the claim, so that no other relay takes them meanwhile, and a relay that
    dies holding them leaves them to the others once it has run out (its error is cleared: a
    claimed row is not waiting out a failure). On PostgreSQL the rows are locked with SKIP
    LOCKED while claimed, so relays claiming at once take different rows."""
    due = (
        select(OutboxEvent.id)
        .where(_TO_PUBLISH, or_(OutboxEvent.publish_after.is_(None), OutboxEvent.publish_after <= now))
        .order_by(OutboxEvent.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    o = OutboxEvent
    rows = session.execute(
        update(o).where(o.id.in_(due)).values(publish_after=lease_until, publish_error=None)
        .returning(o.id, o.event_id, o.type, o.source, o.subject, o.time, o.data, o.publish_attempts)
        .execution_options(synchronize_session=False)
    ).all()  # fmt: skip
    claimed = [Claimed(Event(r[0], r[1], r[2], r[3], r[4], r[5], r[6]), int(r[7])) for r in rows]
    return sorted(claimed, key=lambda c: c.event.seq)


def mark_published(session: Session, seqs: Sequence[int], at: datetime) -> None:
    """Events JetStream acknowledged leave the work list (one statement for the batch)."""
    if seqs:
        session.execute(
            update(OutboxEvent).where(OutboxEvent.id.in_(seqs), _TO_PUBLISH)
            .values(nats_pending=False, published_at=at, publish_after=None, publish_error=None)
            .execution_options(synchronize_session=False)
        )  # fmt: skip


def mark_publish_failed(session: Session, failed: Sequence[tuple[int, int, datetime, str]]) -> None:
    """Failed publishes, as (seq, attempts now, retry after, error): each waits until its retry
    time. One statement sent for every row (executemany); a row another relay published
    meanwhile stays published."""
    if not failed:
        return
    table = cast(Table, OutboxEvent.__table__)
    stmt = (
        update(table).where(table.c.id == bindparam("b_id"), _TO_PUBLISH)
        .values(publish_attempts=bindparam("b_attempts"), publish_after=bindparam("b_after"),
                publish_error=bindparam("b_error"))
    )  # fmt: skip
    session.execute(stmt, [{"b_id": seq, "b_attempts": n, "b_after": after, "b_error": error[:2000]}
                           for seq, n, after, error in failed])  # fmt: skip


def release_publish_waits(session: Session, now: datetime) -> int:
    """Make every event waiting out a failed publish due now (NATS is reachable again). Rows
    claimed by a relay carry no error, so their claims stand."""
    result = session.execute(
        update(OutboxEvent)
        .where(_TO_PUBLISH, OutboxEvent.publish_error.is_not(None), OutboxEvent.publish_after > now)
        .values(publish_after=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def publish_backlog(session: Session) -> int:
    """Events still to publish to NATS (waiting, claimed or failing)."""
    return int(session.scalar(select(func.count()).select_from(OutboxEvent).where(_TO_PUBLISH)) or 0)


def pending_counts(session: Session) -> tuple[int, int, int]:
    """(events waiting for subscribers, of which failing at least once, waiting for NATS)."""
    dispatch = session.scalar(select(func.count()).select_from(OutboxEvent).where(_TO_DISPATCH)) or 0
    failing = session.scalar(select(func.count()).select_from(OutboxEvent)
                             .where(_TO_DISPATCH, OutboxEvent.dispatch_attempts > 0)) or 0  # fmt: skip
    publish = session.scalar(select(func.count()).select_from(OutboxEvent).where(_TO_PUBLISH)) or 0
    return int(dispatch), int(failing), int(publish)
