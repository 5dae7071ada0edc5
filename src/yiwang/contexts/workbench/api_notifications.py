"""JSON routes of my notifications: the list (every channel, newest first) and marking read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from yiwang.contexts.identity import LoggedIn
from yiwang.contexts.workbench import actions_notifications as actions
from yiwang.contexts.workbench.schemas_notifications import (
    MarkedOut,
    NotificationOut,
    NotificationPage,
    notification_out,
)
from yiwang.core.web.deps import DB
from yiwang.core.web.pagination import decode_cursor, encode_cursor

router = APIRouter(prefix="/api/v1", tags=["workbench"])
NotificationId = Annotated[int, Path(ge=1, le=2**63 - 1, description="消息编号")]


@router.get("/notifications", summary="我的消息（全部渠道，最新在前）")
def notifications(
    db: DB,
    actor: LoggedIn,
    cursor: Annotated[str | None, Query(description="上一页返回的 next_cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = actions.PAGE,
) -> NotificationPage:
    inbox = actions.notification_list(db, actor, decode_cursor(cursor), limit)
    return NotificationPage(items=[notification_out(m) for m in inbox.messages], unread=inbox.unread,
                            next_cursor=encode_cursor(inbox.older))  # fmt: skip


@router.post("/notifications/{notification_id}/read", summary="将一条消息标为已读")
def notification_read(notification_id: NotificationId, db: DB, actor: LoggedIn) -> NotificationOut:
    return notification_out(actions.notification_mark_read(db, actor, notification_id))


@router.post("/notifications/read", summary="将我的全部消息标为已读")
def notifications_read(db: DB, actor: LoggedIn) -> MarkedOut:
    return MarkedOut(marked=actions.notification_mark_all_read(db, actor))
