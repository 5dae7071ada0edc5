"""Notification pages: the bell's count, my messages (every channel, newest first, paged),
marking one or all read (htmx, or plain forms without it), and the administrator's list of
email and SMS deliveries that failed or are being retried, with a retry button."""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from yiwang.contexts.identity import Caller, LoggedIn
from yiwang.contexts.workbench import actions_notifications as actions
from yiwang.contexts.workbench.schemas_notifications import masked_address
from yiwang.core import authz, notify
from yiwang.core.actor import Actor
from yiwang.core.web import nav
from yiwang.core.web.deps import DB
from yiwang.core.web.pagination import decode_cursor, encode_cursor
from yiwang.core.web.templating import add_template_folder, templates
from yiwang.settings import get_settings

router = APIRouter(include_in_schema=False)
add_template_folder(FilePath(__file__).parent / "templates")

FAILURE_PAGE = 50
CHANGED = {"HX-Trigger": "notifications-changed"}  # the bell listens and counts again
NOTICES = {"retried": "已重新排入发送队列，稍后自动发送。"}
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
Cursor = Annotated[str | None, Query(max_length=40)]

nav.add_figures(
    set(),
    lambda db, actor: [
        nav.Figure("未读消息", actions.notification_unread_count(db, actor), "/notifications")
    ],
)
# reached from the administrator's home card and from 我的消息 (the bar has no room to spare)
nav.add_card("admin", "消息发送情况", "查看发送失败和正在重试的邮件、短信通知，排除原因后重新发送。",
             "/notifications/failures", 40)  # fmt: skip


def _render(
    request: Request, name: str, actor: Actor, headers: dict[str, str] | None = None, **ctx: Any
) -> Response:
    ctx.update(actor=actor, csrf=getattr(request.state, "csrf", ""), CHANNEL_ZH=notify.CHANNEL_ZH,
               STATUS_ZH=notify.STATUS_ZH, masked_address=masked_address)  # fmt: skip
    return templates.TemplateResponse(request, name, ctx, headers=headers)


def _htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


@router.get("/notifications/bell")
def bell(request: Request, db: DB, actor: Caller) -> Response:
    """The bell's inside, loaded by htmx after every page and on `notifications-changed`. An
    expired session stops the polling (286) instead of swapping the login page into it."""
    if actor.kind != "user":
        return Response(status_code=286)
    unread = actions.notification_unread_count(db, actor)
    return _render(request, "workbench_notifications_bell.html", actor, unread=unread)


@router.get("/notifications")
def notifications_page(request: Request, db: DB, actor: LoggedIn, cursor: Cursor = None) -> Response:
    inbox = actions.notification_list(db, actor, decode_cursor(cursor))
    return _render(request, "workbench_notifications.html", actor, inbox=inbox, first=cursor is None,
                   older=encode_cursor(inbox.older))  # fmt: skip


@router.post("/notifications/{notification_id}/read")
def mark_read(request: Request, notification_id: Id, db: DB, actor: LoggedIn) -> Response:
    message = actions.notification_mark_read(db, actor, notification_id)
    if not _htmx(request):
        return RedirectResponse("/notifications", status_code=303)
    return _render(request, "workbench_notifications_item.html", actor, CHANGED, m=message)


@router.post("/notifications/read")
def mark_all_read(request: Request, db: DB, actor: LoggedIn) -> Response:
    actions.notification_mark_all_read(db, actor)
    if not _htmx(request):
        return RedirectResponse("/notifications", status_code=303)
    inbox = actions.notification_list(db, actor)
    return _render(request, "workbench_notifications_list.html", actor, CHANGED, inbox=inbox, first=True,
                   older=encode_cursor(inbox.older))  # fmt: skip


@router.get("/notifications/failures")
def failures_page(
    request: Request, db: DB, actor: LoggedIn, cursor: Cursor = None, notice: str = ""
) -> Response:
    rows = actions.notification_failure_list(db, actor, decode_cursor(cursor), FAILURE_PAGE + 1)
    older = encode_cursor(rows[FAILURE_PAGE - 1].delivery.id) if len(rows) > FAILURE_PAGE else None
    return _render(request, "workbench_notifications_failures.html", actor, rows=rows[:FAILURE_PAGE],
                   older=older, notice=NOTICES.get(notice, ""), max_attempts=get_settings().notify_max_attempts,
                   can_retry=bool(authz.decide(actor, "workbench.notification_retry")))  # fmt: skip


@router.post("/notifications/deliveries/{delivery_id}/retry")
def retry(delivery_id: Id, db: DB, actor: LoggedIn) -> Response:
    actions.notification_retry(db, actor, delivery_id)
    return RedirectResponse("/notifications/failures?notice=retried", status_code=303)
