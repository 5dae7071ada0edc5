"""The 12345 story in a real browser, at 1280x800 and on a 390x844 phone: the operator takes a
call, accepts the suggested category and dispatches; the department's staff find it in the one
to-do list, return it once (退单); it is dispatched again, signed, handled and replied to; the
follow-up marks it unsatisfied and it reopens in the staff's to-do list; the leader sees hot
topics as a chart. Screenshots: test-artifacts/screenshots/hotline-*.png."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Watched

pytestmark = pytest.mark.browser
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def _as(tab: Watched, username: str) -> None:
    tab.page.context.clear_cookies()
    tab.login(username)


def _fits(tab: Watched) -> None:
    width = tab.page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide"


def _submit(tab: Watched, selector: str) -> None:
    with tab.page.expect_navigation():
        tab.page.click(selector)


@pytest.mark.parametrize("size", list(SIZES))
def test_a_call_is_dispatched_returned_handled_replied_and_reopened(tab: Watched, size: str) -> None:
    page = tab.page
    page.set_viewport_size(SIZES[size])
    shot = f"hotline-{size}"

    # 1. the operator takes the call and asks for suggestions
    tab.login("rexian")
    tab.goto("/workbench/hotline/new")
    page.fill("#caller_name", "王先生")
    page.fill("#contact", "13805710001")
    page.fill("#location", "西湖区文三路")
    page.fill("#subject", f"装修公司拖欠三个月工资不发（{size}）")
    page.fill(
        "#body",
        "我在西湖区一家装修公司上班，公司已经拖欠我们十几个工人三个月工资，老板一直推脱，请帮助追讨。",
    )
    _submit(tab, "button.hl-analyse")
    assert page.locator(".hl-top").inner_text() == "劳动和社会保障"
    assert "人力资源和社会保障局" in page.locator(".hl-dept").inner_text()
    assert page.locator("#level1").input_value() == "劳动和社会保障"  # the suggestion, accepted as it is
    page.select_option("#leaf", index=1)
    _fits(tab)
    tab.screenshot(f"{shot}-1-intake")
    _submit(tab, "button.hl-dispatch")
    m = re.search(r"/workbench/hotline/orders/(\d+)\?notice=dispatched$", page.url)
    assert m, page.url
    href = f"/workbench/hotline/orders/{m.group(1)}"
    assert page.locator(".hl-state").inner_text() == "待签收"

    # 2. the department's staff find it in the one to-do list and return it once
    _as(tab, "renshe")
    tab.goto("/workbench/tasks")
    row = page.locator("table.wf-tasks tr.wf-task", has=page.locator(f"a[href='{href}']"))
    assert row.count() == 1 and "待签收" in row.inner_text()
    link = row.locator(f"a[href='{href}']")
    tab.screenshot(f"{shot}-2-todo")
    with page.expect_navigation():
        link.first.click()
    page.fill("form.hl-step-return textarea[name=reason]", "地址在拱墅区，请改派属地人社局")
    _submit(tab, "form.hl-step-return button[type=submit]")
    assert page.locator(".hl-state").inner_text() == "待派单"

    # 3. the centre dispatches it again; the staff sign, handle and reply
    _as(tab, "rexian")
    tab.goto(href)
    assert "地址在拱墅区" in page.locator(".wf-timeline").inner_text()
    _submit(tab, "form.hl-step-dispatch button[type=submit]")
    _as(tab, "renshe")
    tab.goto(href)
    _submit(tab, "form.hl-step-sign button[type=submit]")
    assert page.locator(".hl-state").inner_text() == "办理中"
    page.fill(
        "form.hl-step-reply textarea[name=reply]",
        "经劳动保障监察大队核查，已责令该公司于本月底前结清拖欠工资。",
    )
    _submit(tab, "form.hl-step-reply button[type=submit]")
    assert page.locator(".hl-state").inner_text() == "待回访"
    _fits(tab)
    tab.screenshot(f"{shot}-3-replied")

    # 4. the follow-up: not satisfied, reopened at the person who handled it
    _as(tab, "rexian")
    tab.goto(href)
    page.fill("form.hl-step-unsatisfied textarea[name=reason]", "市民表示工资仍未到账")
    _submit(tab, "form.hl-step-unsatisfied button[type=submit]")
    assert page.locator(".hl-state").inner_text() == "办理中"
    assert "重新办理 1 次" in page.locator(".hl-kv").inner_text()
    _as(tab, "renshe")
    tab.goto("/workbench/tasks")
    assert page.locator("table.wf-tasks tr.wf-task", has=page.locator(f"a[href='{href}']")).count() == 1
    tab.goto(href)
    _fits(tab)
    tab.screenshot(f"{shot}-4-reopened")

    # 5. the leader sees the hot topics, drawn by ECharts
    _as(tab, "leader")
    tab.goto("/workbench/hotline/topics")
    page.wait_for_selector("#hl-topics-chart canvas")
    assert page.locator("table.hl-topics tr.hl-topic").count() >= 2
    assert "物业" in page.locator("table.hl-topics").inner_text()
    _fits(tab)
    tab.screenshot(f"{shot}-5-topics")
    tab.assert_clean()
