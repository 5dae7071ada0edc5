"""SQL of notifications and their deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.orm import Session

from yiwang.core.notify import FAILED_SQL, OPEN_SQL, UNREAD_SQL, Notification, NotificationDelivery


def add_all(session: Session, rows: Sequence[object]) -> None:
    session.add_all(rows)
    session.flush()


def notification(session: Session, notification_id: int) -> Notification | None:
    return session.get(Notification, notification_id)


def for_user(session: Session, user_id: int, before_id: int, limit: int) -> list[Notification]:
    q = select(Notification).where(Notification.user_id == user_id)
    if before_id:
        q = q.where(Notification.id < before_id)
    return list(session.scalars(q.order_by(Notification.id.desc()).limit(limit)))


def deliveries_of(session: Session, notification_ids: Sequence[int]) -> dict[int, list[NotificationDelivery]]:
    if not notification_ids:
        return {}
    out: dict[int, list[NotificationDelivery]] = {}
    rows = session.scalars(
        select(NotificationDelivery)
        .where(NotificationDelivery.notification_id.in_(notification_ids))
        .order_by(NotificationDelivery.id)
    )
    for d in rows:
        out.setdefault(d.notification_id, []).append(d)
    return out


def unread_count(session: Session, user_id: int) -> int:
    """Counted in `ix_notification_unread` alone (its condition is the query's). SQLite without
    statistics would as well take the list's index (user_id, id) and read every message the
    person ever had: it is told which index to use (and fails loudly if it cannot)."""
    source: Any = Notification.__table__
    if session.get_bind().dialect.name == "sqlite":
        source = text("notification INDEXED BY ix_notification_unread")
    q = select(func.count()).select_from(source).where(text(f"user_id = :user_id AND {UNREAD_SQL}"))
    return session.scalar(q, {"user_id": user_id}) or 0


def mark_all_read(session: Session, user_id: int, at: datetime) -> int:
    result = session.execute(
        update(Notification).where(Notification.user_id == user_id, text(UNREAD_SQL)).values(read_at=at)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- the delivery job -------------------------------------------------------------------------


def claim_due(session: Session, now: datetime, limit: int) -> list[tuple[NotificationDelivery, Notification]]:
    """Deliveries to attempt now: pending ones whose time has come and 'sending' ones whose
    lease ran out (their worker died mid-flight), each with its message. Row-locked with SKIP
    LOCKED on PostgreSQL, so concurrent workers split the work instead of queueing."""
    q = (
        select(NotificationDelivery, Notification)
        .join(Notification, Notification.id == NotificationDelivery.notification_id)
        .where(text(OPEN_SQL), NotificationDelivery.next_attempt_at <= now)
        .order_by(NotificationDelivery.next_attempt_at, NotificationDelivery.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(of=NotificationDelivery, skip_locked=True)
    return [(d, n) for d, n in session.execute(q).all()]


def finish(session: Session, delivery_id: int, claims: int, values: dict[str, Any]) -> bool:
    """Record an attempt's outcome only while this worker still holds the claim: a worker whose
    lease ran out and whose delivery was claimed again finds `claims` moved on (fencing)."""
    result = session.execute(
        update(NotificationDelivery)
        .where(NotificationDelivery.id == delivery_id, NotificationDelivery.status == "sending",
               NotificationDelivery.claims == claims)
        .values(**values)
    )  # fmt: skip
    return bool(result.rowcount)  # type: ignore[attr-defined]


# --- the administrator's view -------------------------------------------------------------------


def troubles(session: Session, before_id: int, limit: int) -> list[tuple[NotificationDelivery, Notification]]:
    """Failed deliveries and open ones that failed before (retrying), newest first. Both
    conditions are partial indexes' (`ix_notification_delivery_failed`, `..._open`)."""
    retrying = and_(text(OPEN_SQL), NotificationDelivery.last_error.is_not(None))
    q = (
        select(NotificationDelivery, Notification)
        .join(Notification, Notification.id == NotificationDelivery.notification_id)
        .where(or_(text(FAILED_SQL), retrying))
    )
    if before_id:
        q = q.where(NotificationDelivery.id < before_id)
    q = q.order_by(NotificationDelivery.id.desc()).limit(limit)
    return [(d, n) for d, n in session.execute(q).all()]


def delivery(session: Session, delivery_id: int) -> NotificationDelivery | None:
    return session.get(NotificationDelivery, delivery_id)


def delivery_for_update(session: Session, delivery_id: int) -> NotificationDelivery | None:
    return session.scalar(
        select(NotificationDelivery)
        .where(NotificationDelivery.id == delivery_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
