"""The story of the shared mechanisms, in a real browser: 西湖区不动产登记中心 files a sharing
request; it waits in 杭州市民政局's to-do list with its deadline; a leader puts it under 督办; the
approver asks for 补正 and the clock stops; the requester supplements and it runs again; it is
approved; the requester sees the notification in the app and receives the email (the test's own
SMTP server); a NATS subscriber receives each of the request's events once; and another system's
task shows in the same to-do list. Screenshots: test-artifacts/screenshots/story-*.png."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.browser.conftest import Watched
from tests.contexts.exchange.helpers import MARRIAGE
from tests.core.nats_server import NatsServer, read_stream, serve
from tests.core.notify_story import (
    SmtpServer,
    smtp,  # noqa: F401  (the test's SMTP server)
)
from yiwang.core import events_nats, notify_delivery
from yiwang.core.db import transaction
from yiwang.settings import get_settings

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def nats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NatsServer]:
    """A JetStream server of the test's own, and this process publishing to it."""
    for server in serve(tmp_path / "jetstream"):
        monkeypatch.setattr(get_settings(), "nats_url", server.url)
        with transaction() as s:  # what earlier tests left unpublished is no part of this story
            s.execute(text("UPDATE event_outbox SET nats_pending = false WHERE nats_pending"))
        events_nats.start()
        try:
            yield server
        finally:
            events_nats.stop()


def _as(tab: Watched, username: str) -> None:
    tab.page.context.clear_cookies()
    tab.login(username)


def _task_row(tab: Watched, href: str) -> Any:
    page = tab.page
    return page.locator("table.wf-tasks tr.wf-task", has=page.locator(f"a[href='{href}']"))


def _wait(what: str, done: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"still waiting for: {what}"
        time.sleep(0.1)


def _no_overflow(tab: Watched) -> None:
    width = tab.page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= tab.page.viewport_size["width"], f"the page is {width}px wide"


def test_a_request_on_the_engine_with_deadline_supervision_supplement_notifications_and_nats(
    tab: Watched,
    smtp: SmtpServer,  # noqa: F811
    nats: NatsServer,
    client: Any,
) -> None:
    page = tab.page

    # 1. the consumer files the request
    tab.login("budongchan")
    tab.goto(f"/exchange/requests/new?resource={MARRIAGE}")
    for name in ("id_number", "name", "marital_status", "spouse_name", "spouse_id_number"):
        page.check(f"input[name=fields][value={name}]")
    page.fill("#purpose", "办理不动产转移登记时核验买卖双方婚姻状况")
    page.fill("#legal_basis", "《不动产登记暂行条例实施细则》第十条")
    with page.expect_navigation():
        page.click("form.ex-form button[type=submit]")
    m = re.search(r"/exchange/requests/(\d+)\?notice=created$", page.url)
    assert m, page.url
    rid = m.group(1)
    href = f"/exchange/requests/{rid}"
    case_id = page.locator("a:has-text('流程详情')").get_attribute("href").rsplit("/", 1)[1]

    # 2. it waits in the provider's to-do list, with its deadline
    _as(tab, "minzheng")
    tab.goto("/workbench/tasks")
    row = _task_row(tab, href)
    assert "待审批" in row.inner_text() and re.search(r"\d{4}-\d\d-\d\d 23:59", row.inner_text())
    badge = page.locator(".topbar .nav-badge[title]").first  # htmx loads it after the page
    badge.wait_for()
    assert badge.inner_text().strip() != ""
    tab.screenshot("story-1-provider-todo")

    # 3. a leader puts it under 督办
    _as(tab, "leader")
    tab.goto(f"/workbench/cases/{case_id}")
    page.fill("form.wf-supervise textarea[name=note]", "群众反映急需办理，请本周内审批完毕")
    page.fill("form.wf-supervise input[name=due_on]", "2030-06-30")
    with page.expect_navigation():
        page.click("form.wf-supervise button[type=submit]")
    assert "已列入督办" in page.locator(".notice").inner_text()
    tab.screenshot("story-2-supervised")

    # 4. the approver sees it marked, and asks for 补正: the clock stops
    _as(tab, "minzheng")
    tab.goto("/workbench/tasks?supervised=true")
    assert "督办" in _task_row(tab, href).inner_text()
    tab.goto(href)
    page.fill("form.ex-ask-supplement textarea[name=reason]", "请补充买卖合同编号及办理事项的法律条款")
    with page.expect_navigation():
        page.click("form.ex-ask-supplement button[type=submit]")
    assert page.locator("h1 .ex-badge").inner_text() == "待补正"
    assert "计时暂停" in page.locator(".wf-timeline").inner_text()
    tab.screenshot("story-3-supplement-asked")

    # 5. the requester supplements: the clock runs again
    _as(tab, "budongchan")
    tab.goto("/workbench/tasks")
    row = _task_row(tab, href)
    assert "待补正" in row.inner_text() and "计时暂停" in row.inner_text()
    tab.goto(href)
    page.fill("form.ex-supplement-form textarea[name=comment]", "已补充合同编号 HZ-2026-1188 及第十条第二款")
    with page.expect_navigation():
        page.click("form.ex-supplement-form button[type=submit]")
    assert page.locator("h1 .ex-badge").inner_text() == "待审批"
    assert "计时恢复" in page.locator(".wf-timeline").inner_text()

    # 6. approved, the spouse's number masked
    _as(tab, "minzheng")
    tab.goto(href)
    page.check("form.ex-approve input[name=masked_fields][value=spouse_id_number]")
    with page.expect_navigation():
        page.click("form.ex-approve button[type=submit]")
    assert page.locator("h1 .ex-badge").inner_text() == "已同意"
    tab.screenshot("story-4-approved")

    # 7. the requester sees it in the app and receives the email
    notify_delivery.deliver_all()
    with transaction() as s:
        address = s.execute(text("SELECT email FROM user_account WHERE username = 'budongchan'")).scalar_one()
    mails = [m for m in smtp.mailbox.to(address) if "婚姻登记信息" in str(m["Subject"])]
    assert any("共享申请已同意" in str(m["Subject"]) for m in mails), [str(m["Subject"]) for m in mails]
    _as(tab, "budongchan")
    assert page.locator(".bell .bell-count").inner_text().strip() != ""
    tab.goto("/notifications")
    assert page.locator(".nt-item", has_text="共享申请已同意：婚姻登记信息").count() >= 1
    tab.screenshot("story-5-notified")

    # 8. a NATS subscriber receives each of the request's events once
    def published() -> bool:
        with transaction() as s:
            return not s.execute(text("SELECT count(*) FROM event_outbox WHERE nats_pending")).scalar()

    _wait("the relay publishing every event", published)
    mine = [json.loads(m.data) for m in read_stream(nats.url, "YIWANG")]
    mine = [e for e in mine if e["subject"] == f"request/{rid}"]
    assert [e["type"].rsplit(".", 1)[1] for e in mine] == [
        "created", "supervised", "supplement_requested", "supplemented", "approved"]  # fmt: skip
    assert len({e["id"] for e in mine}) == len(mine) and all(e["specversion"] == "1.0" for e in mine)
    # what people wrote and who they are stays in the platform: other systems get states and deadlines
    assert all("comment" not in e["data"] and "actor_name" not in e["data"] for e in mine)
    assert not any("合同编号" in json.dumps(e, ensure_ascii=False) for e in mine)

    # 9. another system's task lands in the same list
    from tests.contexts.workbench.test_todo import _client_token

    token = _client_token(client, ["tasks"])
    r = client.post("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}, json={
        "external_id": f"BDC-STORY-{rid}", "title": "不动产转移登记：复核买卖合同", "url": "https://bdc.example/cases/1188",
        "assignee": {"department": "330106-real_estate"}, "due": "2030-01-10T17:00:00+08:00"})  # fmt: skip
    assert r.status_code == 201, r.text
    tab.goto("/workbench/tasks")
    external = _task_row(tab, "https://bdc.example/cases/1188")
    assert "复核买卖合同" in external.inner_text() and "西湖区不动产登记系统" in external.inner_text()
    tab.screenshot("story-6-external-task")

    # the same pages on a phone
    page.set_viewport_size(PHONE)
    tab.goto("/workbench/tasks")
    tab.screenshot("story-7-todo-phone")
    _no_overflow(tab)
    tab.goto(f"/workbench/cases/{case_id}")
    tab.screenshot("story-8-case-phone")
    _no_overflow(tab)
    tab.assert_clean()
