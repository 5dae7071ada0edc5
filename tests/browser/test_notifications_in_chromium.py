"""The bell in a real browser: a citizen with unread messages sees the count in the top bar,
opens the list (every channel with its delivery state), marks one and then all read, and the
count goes; on a desktop (1280x800) and a phone (390x844). The administrator sees a failed
email on 消息发送情况. Screenshots go to test-artifacts/screenshots/notifications-*.png."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Watched
from tests.core.notify_story import SmtpServer, publish
from tests.core.notify_story import sms as sms  # the fixtures, by name
from tests.core.notify_story import smtp as smtp
from tests.core.notify_story import subscribed as subscribed
from yiwang.core import notify_delivery
from yiwang.core.db import utcnow
from yiwang.settings import get_settings

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.mark.parametrize("size", list(SIZES))
def test_the_bell_counts_unread_and_marking_all_read_clears_it(
    tab: Watched, size: str, subscribed, smtp: SmtpServer, sms
) -> None:
    page = tab.page
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    tag = uuid.uuid4().hex[:4]
    for item in (f"出生医学证明 {tag}", f"新生儿落户 {tag}"):
        publish(item, "citizen")
    publish(f"医保参保登记 {tag}", "citizen", channels=("in_app", "email"))
    notify_delivery.deliver_due(limit=1000)
    publish(f"社保卡申领 {tag}", "citizen", channels=("in_app",))

    tab.login("citizen")
    count = page.locator(".bell .bell-count")
    count.wait_for()
    shown = int(count.inner_text().rstrip("+"))
    assert shown >= 4
    box = page.locator("a.bell").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width  # on screen, on a phone too
    tab.screenshot(f"notifications-1-bell-{size}", full_page=False)

    with page.expect_navigation():
        page.click("a.bell")
    assert page.url.endswith("/notifications")
    first = page.locator("li.nt-item").first
    assert f"社保卡申领 {tag}" in first.inner_text() and "nt-unread" in (first.get_attribute("class") or "")
    email_one = page.locator("li.nt-item", has_text=f"医保参保登记 {tag}")
    assert "邮件 · 已送达" in email_one.inner_text() and "短信" not in email_one.inner_text()
    full = page.locator("li.nt-item", has_text=f"出生医学证明 {tag}")
    assert all(s in full.inner_text() for s in ("站内 · 已送达", "邮件 · 已送达", "短信 · 已送达"))
    assert page.locator(".nt-summary b").inner_text() == str(shown)
    tab.screenshot(f"notifications-2-list-{size}")

    first.locator("button:has-text('标为已读')").click()  # htmx swaps the item, the bell counts again
    page.locator(f"li.nt-item:not(.nt-unread):has-text('社保卡申领 {tag}')").wait_for()
    page.wait_for_function(
        "n => document.querySelector('.bell .bell-count')?.textContent == String(n)", arg=shown - 1
    )

    page.click("button:has-text('全部标为已读')")
    page.locator(".nt-summary:has-text('没有未读消息')").wait_for()
    page.locator(".bell .bell-count").wait_for(state="detached")
    # htmx keeps a swapped element's old attributes until it settles (~20 ms, for CSS
    # transitions), so an item's class changes a moment after the summary: wait for it.
    expect(page.locator("li.nt-unread")).to_have_count(0)
    tab.screenshot(f"notifications-3-all-read-{size}")
    page.reload()
    assert (
        page.locator(".bell .bell-count").count() == 0
        and page.locator(".nt-summary").inner_text() == "没有未读消息"
    )
    tab.assert_clean()


def test_the_administrator_sees_a_failed_email_and_sends_it_again(
    tab: Watched, subscribed, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "notify_max_attempts", 2)
    smtp.stop()
    item = f"居住证签注 {uuid.uuid4().hex[:4]}"
    publish(item, "citizen", channels=("in_app", "email"))
    at = utcnow()
    for _ in range(2):
        notify_delivery.deliver_due(now=at, limit=1000)
        at += timedelta(hours=2)

    page = tab.page
    page.set_viewport_size({"width": 1280, "height": 800})
    tab.login("admin")
    tab.goto("/notifications/failures")
    row = page.locator("table.nt-failures tr", has_text=item)
    assert "发送失败" in row.inner_text() and "无法连接邮件服务器" in row.inner_text()
    tab.screenshot("notifications-4-failures-admin")
    smtp.start()
    with page.expect_navigation():
        row.locator("button:has-text('重新发送')").click()
    assert page.locator(".notice").inner_text().startswith("已重新排入发送队列")
    notify_delivery.deliver_due(limit=1000)
    page.reload()
    assert page.locator("table.nt-failures tr", has_text=item).count() == 0
    tab.assert_clean()
