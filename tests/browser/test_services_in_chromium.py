"""一网通办 in a real browser, at desktop and phone size: a citizen finds 出生医学证明签发 by a
Chinese search, reads its guide (materials before and after sharing side by side), applies with
the form prefilled from the exchange and one upload; the health department's staff accept it from
their to-do list and take it to 办结 on its page; the citizen follows the timeline; a window clerk
of another district applies for the citizen in front of them. Screenshots: services-*.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Watched
from tests.contexts.services.helpers import BIRTH_ITEM, PDF, citizen, staff_of

pytestmark = pytest.mark.browser
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def _as(tab: Watched, username: str) -> None:
    tab.page.context.clear_cookies()
    tab.login(username)


def _no_overflow(tab: Watched) -> None:
    width = tab.page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= tab.page.viewport_size["width"], f"the page is {width}px wide"


@pytest.mark.parametrize("size", list(SIZES))
def test_citizen_applies_with_prefill_and_staff_act_from_the_todo_list(
    tab: Watched, size: str, tmp_path: Path
) -> None:
    page: Any = tab.page
    page.set_viewport_size(SIZES[size])
    tab.login("citizen")

    tab.goto("/services?q=新生儿")
    assert page.locator(".sv-item", has_text="出生医学证明签发").count() == 1
    assert page.locator(".sv-item", has_text="企业设立登记").count() == 0
    _no_overflow(tab)
    tab.screenshot(f"services-1-search-{size}")

    page.locator(".sv-item", has_text="出生医学证明签发").click()
    page.wait_for_url(f"**/services/items/{BIRTH_ITEM}")
    compare = page.locator(".sv-compare").inner_text()
    assert "共享前 · 3 份" in compare and "共享后 · 1 份" in compare
    _no_overflow(tab)
    tab.screenshot(f"services-2-guide-{size}")

    with page.expect_navigation():
        page.click("a.button:has-text('在线申请')")
    name, number = citizen()
    assert page.input_value("#f-name") == name and page.input_value("#f-id_number") == number
    assert page.locator(".sv-badge:has-text('已预填')").count() == 3
    page.fill("#f-phone", "13800001234")
    page.fill("#f-child_name", "小明")
    page.fill("#f-child_birth_date", "2026-11-20")
    pdf = tmp_path / "分娩记录.pdf"
    pdf.write_bytes(PDF)
    page.set_input_files("input[type=file]", str(pdf))
    _no_overflow(tab)
    tab.screenshot(f"services-3-apply-{size}")
    with page.expect_navigation():
        page.click("form.sv-form button[type=submit]")
    m = re.search(r"/services/applications/(\d+)\?notice=submitted$", page.url)
    assert m, page.url
    href = f"/services/applications/{m.group(1)}"
    assert "待受理" in page.locator("h1").inner_text()
    tab.screenshot(f"services-4-submitted-{size}")

    # the health department's staff: the case is in their to-do list; accept it there
    _as(tab, staff_of("330106-health"))
    tab.goto("/workbench/tasks")
    row = page.locator("table.wf-tasks tr.wf-task", has=page.locator(f"a[href='{href}']"))
    assert "待受理" in row.inner_text()
    with page.expect_navigation():
        row.locator("button:has-text('受理')").first.click()
    tab.goto(href)
    for label in ("审查通过", "准予", "办结"):
        with page.expect_navigation():
            page.click(f"form.wf-inline button:has-text('{label}')")
    assert "已办结" in page.locator("h1").inner_text()
    _no_overflow(tab)
    tab.screenshot(f"services-5-staff-completed-{size}")

    # the citizen follows it
    _as(tab, "citizen")
    tab.goto("/services/applications")
    assert page.locator(f"a[href='{href}']").count() == 1
    tab.goto(href)
    timeline = page.locator(".wf-timeline").inner_text()
    assert "受理" in timeline and "办结" in timeline
    _no_overflow(tab)
    tab.screenshot(f"services-6-timeline-{size}")

    # the e-license issued on completion, verified on the page its QR code opens
    tab.goto("/services/licenses")
    card = page.locator("section.sv-lic", has_text="出生医学证明").first
    assert card.locator("svg").count() == 1
    with page.expect_navigation():
        card.locator("a:has-text('核验页面')").click()
    assert page.locator(".sv-check").inner_text() == "有效"
    _no_overflow(tab)
    tab.screenshot(f"services-7-license-verified-{size}")

    # 不满意: the rectification case appears in the department's to-do list
    tab.goto(href)
    page.locator("label.sv-rate-opt", has_text="不满意").first.click()
    page.check("input[name=reasons][value=等候时间长]")
    with page.expect_navigation():
        page.click("form.sv-rate button[type=submit]")
    assert "已转办理部门整改" in page.content()
    _as(tab, staff_of("330106-health"))
    tab.goto("/workbench/tasks")
    assert page.locator("table.wf-tasks tr.wf-task", has_text="差评整改：出生医学证明签发").count() >= 1
    tab.screenshot(f"services-8-rectification-todo-{size}")
    tab.assert_clean()


def test_a_window_clerk_applies_for_the_citizen_in_front_of_them(tab: Watched) -> None:
    page: Any = tab.page
    page.set_viewport_size(SIZES["desktop"])
    tab.login("clerk2")
    tab.goto(f"/services/items/{BIRTH_ITEM}")
    with page.expect_navigation():
        page.click("a.button:has-text('窗口受理')")
    name, number = citizen()
    page.fill("#f-name", name)
    page.fill("#f-id_number", number)
    page.fill("#f-phone", "13800001234")
    page.fill("#f-address", "杭州市西湖区文三路 1 号")
    page.fill("#f-child_name", "小红")
    page.fill("#f-child_birth_date", "2026-11-21")
    page.fill("#f-id_number", number[:-1] + ("0" if number[-1] != "0" else "1"))
    with page.expect_navigation():
        page.click("form.sv-form button[type=submit]")
    assert "校验位" in page.locator(".field-error").first.inner_text()  # refused, field by field
    tab.screenshot("services-9-window-error-desktop")
    assert all("422" in e for e in tab.console_errors)  # the refused form's own status, nothing else
    tab.console_errors.clear()
    page.fill("#f-id_number", number)
    with page.expect_navigation():
        page.click("form.sv-form button[type=submit]")
    assert re.search(r"/services/applications/\d+\?notice=submitted$", page.url), page.url
    assert "综合窗口受理" in page.locator("table.sv-kv").inner_text()
    tab.screenshot("services-10-window-submitted-desktop")
    tab.assert_clean()


def test_an_enterprise_obtains_a_convenience_store_industry_licence(tab: Watched, tmp_path: Path) -> None:
    page: Any = tab.page
    page.set_viewport_size(SIZES["phone"])
    tab.login("enterprise")
    tab.goto("/services/licenses")
    before = page.locator("section.sv-lic", has_text="便利店行业综合许可证").count()
    tab.goto("/services/bundles/convenience_store")
    assert "8 份" in page.locator("table.sv-saving").inner_text()  # materials one by one
    assert page.input_value("#f-credit_code") != ""  # prefilled from 企业登记信息
    page.fill("#f-phone", "13900001234")
    png = tmp_path / "材料.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    for i in range(page.locator("input[type=file]").count()):
        page.set_input_files(f"#m-{i}", str(png))
    _no_overflow(tab)
    tab.screenshot("services-11-industry-apply-phone")
    with page.expect_navigation():
        page.click("form.sv-form button[type=submit]")
    assert re.search(r"/services/bundle-applications/\d+\?notice=submitted$", page.url), page.url
    links = [a.get_attribute("href") for a in page.locator("table a").all()]
    assert len(links) == 3
    _as(tab, staff_of("330106-market_regulation"))
    for href in links:  # each permit decided by its department, in parallel
        tab.goto(href)
        for label in ("受理", "审查通过", "准予", "办结"):
            with page.expect_navigation():
                page.click(f"form.wf-inline button:has-text('{label}')")
    _as(tab, "enterprise")
    tab.goto("/services/licenses")
    card = page.locator("section.sv-lic", has_text="便利店行业综合许可证")
    assert card.count() == before + 1 and card.first.locator("svg").count() == 1
    _no_overflow(tab)
    tab.screenshot("services-12-industry-licence-phone")
    tab.assert_clean()
