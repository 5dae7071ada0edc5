"""Use cases of notifications: my messages (every channel), marking them read, and the
administrator's view of deliveries that failed or are being retried, with a retry."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from yiwang.core import audit, authz, notify
from yiwang.core.actor import Actor
from yiwang.core.errors import NotFound

PAGE = 20


@dataclass(frozen=True)
class Inbox:
    messages: list[notify.Message]
    unread: int
    older: int | None  # page on with the messages before this id; None: this is the last page


def notification_list(session: Session, actor: Actor, before_id: int = 0, limit: int = PAGE) -> Inbox:
    """My messages, newest first, with their delivery state on every channel."""
    authz.check(actor, "workbench.notification_list")
    user_id = _me(actor)
    rows = notify.messages_for(session, user_id, before_id, limit + 1)
    older = rows[limit - 1].notification.id if len(rows) > limit else None
    return Inbox(rows[:limit], notify.unread_count(session, user_id), older)


def notification_unread_count(session: Session, actor: Actor) -> int:
    """The bell's figure (one indexed count)."""
    authz.check(actor, "workbench.notification_list")
    return notify.unread_count(session, _me(actor))


def notification_mark_read(session: Session, actor: Actor, notification_id: int) -> notify.Message:
    """Not audited: reading a message changes no business state."""
    message = _existing(session, notification_id)
    authz.check(actor, "workbench.notification_mark_read", message)
    notify.mark_read(session, message)
    return notify.with_deliveries(session, message)


def notification_mark_all_read(session: Session, actor: Actor) -> int:
    authz.check(actor, "workbench.notification_mark_all_read")
    return notify.mark_all_read(session, _me(actor))


def notification_failure_list(
    session: Session, actor: Actor, before_id: int = 0, limit: int = 50
) -> list[notify.Trouble]:
    """Email and SMS deliveries that failed or are waiting for a retry, newest first."""
    authz.check(actor, "workbench.notification_failure_list")
    return notify.troubles(session, before_id, limit)


def notification_retry(session: Session, actor: Actor, delivery_id: int) -> notify.NotificationDelivery:
    """Send a failed (or retrying) email or SMS again now, with a fresh round of attempts."""
    delivery = notify.delivery(session, delivery_id)
    authz.check(actor, "workbench.notification_retry", delivery)
    if delivery is None:
        raise NotFound("该发送记录不存在")
    before = {"status": delivery.status, "attempts": delivery.attempts, "error": delivery.last_error}
    retried = notify.retry(session, delivery_id)
    audit.record(session, actor, "workbench.notification_retry", "notification_delivery", delivery_id,
                 detail={"channel": retried.channel, "notification": retried.notification_id, "before": before})  # fmt: skip
    return retried


def _me(actor: Actor) -> int:
    assert actor.id is not None  # the policies let only a person's account through
    return actor.id


def _existing(session: Session, notification_id: int) -> notify.Notification:
    message = notify.message(session, notification_id)
    if message is None:
        raise NotFound("该消息不存在")
    return message
