"""The story of a city event, in a real browser: a grid worker reports an illegal-parking event
on a phone-sized screen with a photo; the owner gets the SMS with the nearest car parks that
have room; the event is dispatched to the traffic police by rule, handled there, verified by the
grid worker with a photo and closed; the leader's dashboard map shows it.
Screenshots: test-artifacts/screenshots/cityops-*.png."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.browser.conftest import Watched
from tests.contexts.cityops.helpers import free_point, png
from yiwang.core import notify_delivery, notify_sms
from yiwang.core.db import transaction

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _as(tab: Watched, username: str) -> None:
    tab.page.context.clear_cookies()
    tab.login(username)


def _wait(what: str, done: Any, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = done()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _one(sql: str, **params: Any) -> Any:
    with transaction() as s:
        return s.execute(text(sql), params).scalar()


def test_an_illegal_parking_event_from_report_to_the_dashboard(tab: Watched, tmp_path: Path) -> None:
    page = tab.page
    photo = tmp_path / "scene.png"
    photo.write_bytes(png())
    gateway = notify_sms.gateway()
    assert isinstance(gateway, notify_sms.RecordingSmsGateway)
    owner_mobile = _one("SELECT mobile FROM user_account WHERE username = 'citizen'")

    page.set_viewport_size(PHONE)
    _as(tab, "grid")
    tab.goto("/cityops/report")
    page.select_option("#category_code", "20505")
    assert page.locator("#plate").is_visible()
    page.fill("#plate", "浙A12345")
    page.fill("#description", "白色轿车占用消防通道")
    page.fill("#address", "文三路 199 号消防通道")
    lon, lat = free_point("20505")  # the form's default is the grid's centre; other tests report there too
    page.fill("#lon", str(lon))
    page.fill("#lat", str(lat))
    page.set_input_files("#photo", str(photo))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the report form is wider than the phone ({width} px)"
    tab.screenshot("cityops-report-phone")
    with page.expect_navigation():
        page.click("button.co-submit")
    assert "事件已上报" in page.inner_text("main")
    event_id = int(page.url.split("/cityops/events/")[1].split("?")[0])
    main = page.inner_text("main")
    assert "待处置" in main and "公安" in main, main
    tab.screenshot("cityops-event-reported-phone")

    def owner_sms() -> Any:
        notify_delivery.deliver_all()
        return [m for m in gateway.to(owner_mobile) if "浙A12345" in m.text]

    sms = _wait("the owner's SMS", owner_sms)[-1].text
    assert "文三路 199 号消防通道" in sms and sms.count("米") >= 3, sms

    handler = _one("SELECT u.username FROM user_account u JOIN department d ON d.id = u.department_id "
                   "WHERE d.code = '330106-public_security' ORDER BY u.id LIMIT 1")  # fmt: skip
    page.set_viewport_size(DESKTOP)
    _as(tab, handler)
    tab.goto(f"/cityops/events/{event_id}")
    page.fill("#comment-handle", "已联系车主将车辆驶离，现场恢复通行")
    with page.expect_navigation():
        page.click("form.co-action-handle button[type=submit]")
    assert "待核查" in page.inner_text("main")

    page.set_viewport_size(PHONE)
    _as(tab, "grid")
    tab.goto(f"/cityops/events/{event_id}")
    page.fill("#comment-verify", "车辆已驶离，消防通道畅通")
    page.set_input_files("#photo-verify", str(photo))
    with page.expect_navigation():
        page.click("form.co-action-verify button[type=submit]")
    main = page.inner_text("main")
    assert "核查通过，事件已结案" in main and "已结案" in main
    assert page.locator(".co-photos img").count() == 2
    tab.screenshot("cityops-event-closed-phone")

    page.set_viewport_size(DESKTOP)
    _as(tab, "leader")
    tab.goto("/cityops/dashboard")
    page.wait_for_selector("#co-map[data-rendered='1']")
    shown = page.evaluate(f"""() => fetch('/api/v1/cityops/dashboard').then(r => r.json())
        .then(f => f.points.filter(p => p.id === {event_id}).map(p => p.status))""")
    assert shown == ["已结案"]
    option_has_it = page.evaluate(f"""() => {{
        const chart = echarts.getInstanceByDom(document.getElementById('co-map'));
        return chart.getOption().series.some(s => (s.data || []).some(d => d && d.id === {event_id}));
    }}""")
    assert option_has_it, "the dashboard map does not draw the event"
    tab.screenshot("cityops-dashboard-desktop")
    tab.assert_clean()
