"""My messages on the workbench: every person (citizens too) sees every message sent to them
on every channel with its delivery state, marks one or all read (htmx and the API, CSRF
checked), sees nobody else's; the bell counts unread with one indexed count; the administrator
alone sees failed and retrying email/SMS deliveries and sends them again (audited)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from tests.conftest import DEMO_PASSWORD, csrf_of
from tests.core.notify_story import SmtpServer, publish
from tests.core.notify_story import sms as sms  # the fixtures, by name
from tests.core.notify_story import smtp as smtp
from tests.core.notify_story import subscribed as subscribed
from yiwang.contexts.identity import actions_access
from yiwang.contexts.identity.models import UserAccount
from yiwang.core import notify_delivery
from yiwang.core.actor import SYSTEM
from yiwang.core.audit import AuditRecord
from yiwang.core.db import get_engine, transaction, utcnow
from yiwang.settings import get_settings

API = "/api/v1/notifications"


def _item() -> str:
    return f"出生一件事 {uuid.uuid4().hex[:6]}"


def _deliver(now=None):  # type: ignore[no-untyped-def]
    return notify_delivery.deliver_due(now=now, limit=1000)


def _latest(user, item: str) -> dict:  # type: ignore[no-untyped-def]
    items = user.get(API, params={"limit": 100}).json()["items"]
    (found,) = [i for i in items if item in i["title"]]
    return found


def _unread_badge(user) -> int:  # type: ignore[no-untyped-def]
    m = re.search(r'class="bell-count"[^>]*>(\d+|99\+)<', user.get("/notifications/bell").text)
    return int(m.group(1).rstrip("+")) if m else 0


def test_each_person_sees_every_message_on_every_channel_with_its_state(
    as_user, subscribed, smtp: SmtpServer, sms
) -> None:
    citizen = as_user("citizen")
    before = citizen.get(API).json()["unread"]
    item = _item()
    publish(item, "citizen")
    waiting = _latest(citizen, item)
    assert [(d["channel"], d["status"]) for d in waiting["deliveries"]] == [
        ("in_app", "sent"), ("email", "pending"), ("sms", "pending")]  # fmt: skip
    _deliver()

    page = citizen.get(API).json()
    assert page["unread"] == before + 1 and page["items"][0]["title"] == f"您申请的“{item}”已办结"
    mine = page["items"][0]
    assert mine["unread"] and mine["link"] == "/notifications" and mine["template"] == "test.notice_published"
    assert {d["channel"]: (d["status_name"], d["address"]) for d in mine["deliveries"]} == {
        "in_app": ("已送达", None), "email": ("已送达", "c***@mail.example"), "sms": ("已送达", "199****0001"),
    }  # fmt: skip
    assert _unread_badge(citizen) == page["unread"]

    html = citizen.get("/notifications").text
    assert f"您申请的“{item}”已办结" in html and "条未读" in html and "全部标为已读" in html
    assert "站内 · 已送达" in html and "邮件 · 已送达" in html and "短信 · 已送达" in html
    assert "nt-unread" in html and 'name="csrf_token"' in html
    assert 'hx-get="/notifications/bell"' in citizen.get("/").text  # the bell is on every page


def test_marking_one_and_all_read_with_htmx_and_the_api(as_user, subscribed) -> None:
    staff = as_user("staff")  # 西湖区民政局 staff: notifications are not only for citizens
    first, second, third = _item(), _item(), _item()
    for item in (first, second, third):
        publish(item, "staff", channels=("in_app",))
    one = _latest(staff, first)
    token = csrf_of(staff, "/notifications")

    refused = staff.post(f"/notifications/{one['id']}/read", headers={"HX-Request": "true"})
    assert refused.status_code == 403  # no CSRF token
    unread = staff.get(API).json()["unread"]
    r = staff.post(f"/notifications/{one['id']}/read", headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert r.status_code == 200 and r.headers["HX-Trigger"] == "notifications-changed"
    assert f'id="nt-{one["id"]}"' in r.text and "nt-unread" not in r.text and "标为已读" not in r.text
    assert staff.get(API).json()["unread"] == unread - 1 == _unread_badge(staff)

    two = _latest(staff, second)
    r = staff.post(f"{API}/{two['id']}/read", headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["unread"] is False and r.json()["read_at"]
    again = staff.post(f"{API}/{two['id']}/read", headers={"X-CSRF-Token": token})
    assert again.json()["read_at"] == r.json()["read_at"]  # marking twice changes nothing

    r = staff.post("/notifications/read", headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert r.status_code == 200 and "没有未读消息" in r.text and "nt-unread" not in r.text
    assert staff.get(API).json()["unread"] == 0 == _unread_badge(staff)
    assert not _latest(staff, third)["unread"]
    r = staff.post("/notifications/read", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/notifications"  # without JavaScript
    assert staff.post(f"{API}/read", headers={"X-CSRF-Token": token}).json() == {"marked": 0}


def test_nobody_reads_or_marks_someone_elses_messages(as_user, client, subscribed) -> None:
    item = _item()
    publish(item, "citizen", channels=("in_app",))
    theirs = _latest(as_user("citizen"), item)
    clerk = as_user("clerk")
    assert item not in str(clerk.get(API, params={"limit": 100}).json())
    assert item not in clerk.get("/notifications").text
    r = clerk.post(f"{API}/{theirs['id']}/read", headers={"X-CSRF-Token": csrf_of(clerk)})
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"] == "只能处理发给自己的消息"
    r = clerk.post(f"{API}/999999999/read", headers={"X-CSRF-Token": csrf_of(clerk)})
    assert r.status_code == 404 and r.json()["detail"] == "该消息不存在"
    r = clerk.post(f"{API}/abc/read", headers={"X-CSRF-Token": csrf_of(clerk)})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "notification_id"
    assert r.json()["errors"][0]["detail"] == "应为整数"
    r = clerk.get(API, params={"cursor": "!!"})
    assert r.status_code == 422 and r.json()["errors"][0]["detail"] == "分页游标无效"
    assert client.get(API).status_code == 401
    assert client.get("/notifications/bell").status_code == 286  # a logged-out tab stops polling


def test_paging_goes_from_the_newest_to_the_oldest(as_user, subscribed) -> None:
    username = f"nt{uuid.uuid4().hex[:8]}"
    with transaction() as s:
        actions_access.user_create(s, SYSTEM, username, DEMO_PASSWORD, "分页测试", ["citizen"])
    items = [_item() for _ in range(5)]
    for item in items:
        publish(item, username, channels=("in_app",))
    user = as_user(username)
    seen, cursor = [], None
    while True:
        page = user.get(API, params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [i["title"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"您申请的“{i}”已办结" for i in reversed(items)] and page["unread"] == 5
    html = user.get("/notifications").text
    older = re.search(r'href="/notifications\?cursor=([^"]+)"', html)
    assert older is None  # 5 fit on the first page of 20


def test_failed_deliveries_are_for_the_administrator_who_sends_them_again(
    as_user, subscribed, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "notify_max_attempts", 2)
    smtp.stop()
    item = _item()
    publish(item, "citizen", channels=("in_app", "email"))
    citizen = as_user("citizen")
    at = utcnow()
    for _ in range(2):
        _deliver(at)
        at += timedelta(hours=2)
    assert (
        next(d for d in _latest(citizen, item)["deliveries"] if d["channel"] == "email")["status"] == "failed"
    )
    assert "邮件 · 发送失败" in citizen.get("/notifications").text

    for outsider in (citizen, as_user("clerk")):
        assert outsider.get("/notifications/failures").status_code == 403
    admin = as_user("admin")
    page = admin.get("/notifications/failures").text
    row = next(r for r in page.split("<tr>") if f"您申请的“{item}”已办结" in r)
    assert (
        "发送失败" in row and "无法连接邮件服务器" in row and "c***@mail.example" in row and "重新发送" in row
    )
    m = re.search(r'action="/notifications/deliveries/(\d+)/retry"', row)
    assert m
    delivery_id = int(m.group(1))

    smtp.start()
    r = admin.post(f"/notifications/deliveries/{delivery_id}/retry", data={"csrf_token": csrf_of(admin)},
                   follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/notifications/failures?notice=retried"
    assert "已重新排入发送队列" in admin.get(r.headers["location"]).text
    with transaction() as s:
        admin_id = s.scalar(select(UserAccount.id).where(UserAccount.username == "admin"))
        audited = s.scalars(select(AuditRecord).where(AuditRecord.action == "workbench.notification_retry",
                                                      AuditRecord.target_id == str(delivery_id))).all()  # fmt: skip
        assert [
            (a.actor, (a.detail or {})["channel"], (a.detail or {})["before"]["status"]) for a in audited
        ] == [(f"user:{admin_id}", "email", "failed")]
    assert _deliver().outcomes[delivery_id] == "sent"
    assert len([m for m in smtp.mailbox.received if item in str(m[1]["Subject"])]) == 1
    assert f"您申请的“{item}”已办结" not in admin.get("/notifications/failures").text
    again = admin.post(f"/notifications/deliveries/{delivery_id}/retry", data={"csrf_token": csrf_of(admin)})
    assert again.status_code == 409 and "无需重试" in again.text


def _plan_of(run) -> str:  # type: ignore[no-untyped-def]
    """The query plan of the one statement `run(session)` sends, as the database makes it."""
    sent: list[tuple[str, object]] = []

    def spy(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        sent.append((statement, parameters))

    engine = get_engine()
    if engine.dialect.name == "postgresql":  # the statistics and visibility map autovacuum keeps
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE notification, notification_delivery")
    with transaction() as s:
        event.listen(engine, "before_cursor_execute", spy)
        try:
            run(s)
        finally:
            event.remove(engine, "before_cursor_execute", spy)
        ((statement, parameters),) = [x for x in sent if "notification" in x[0]]
        conn = s.connection()
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # tables of a test are tiny
            rows = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()  # type: ignore[arg-type]
        else:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()  # type: ignore[arg-type]
    return " ".join(str(r[-1]) for r in rows)


def test_the_bell_and_the_delivery_job_read_only_their_partial_indexes() -> None:
    from yiwang.core import notify_repository as repo

    plan = _plan_of(lambda s: repo.unread_count(s, 1))
    assert "ix_notification_unread" in plan, plan
    plan = _plan_of(lambda s: repo.claim_due(s, utcnow(), 20))
    assert "ix_notification_delivery_open" in plan, plan
