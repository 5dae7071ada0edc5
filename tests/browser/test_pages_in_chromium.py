"""The zh-CN web shell in a real browser: every role's workbench, the map, the overview charts,
the audit chain check and the error pages. Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Watched

pytestmark = pytest.mark.browser

# role login -> (workbench heading, card titles that must be on the home page)
WORKBENCHES = {
    "citizen": ("市民工作台", ["谁用了我的数据"]),
    "enterprise": ("企业工作台", ["谁用了我的数据", "企业信息"]),
    "clerk": ("综合窗口工作台", ["自然人查询", "企业查询", "区划地图"]),
    "staff": ("部门工作人员工作台", ["自然人查询", "企业查询", "区划地图"]),
    "grid": ("网格员工作台", ["我的网格"]),
    "officer": ("数据管理员工作台", ["审计日志", "城市概览", "区划与网格地图"]),
    "leader": ("领导工作台", ["城市概览", "区划与网格地图"]),
    "admin": ("系统管理员工作台", ["审计日志", "城市概览"]),
}


def _painted_pixels(tab: Watched, selector: str) -> int:
    """How many pixels of the first canvas under `selector` are not blank (the chart really drew)."""
    return int(
        tab.page.eval_on_selector(
            selector + " canvas",
            """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                      let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""",
        )
    )


@pytest.mark.parametrize("username", list(WORKBENCHES))
def test_each_role_logs_in_and_sees_its_workbench(tab: Watched, username: str) -> None:
    heading, titles = WORKBENCHES[username]
    tab.login(username)
    page = tab.page
    assert page.locator("h2.section-title", has_text=heading).is_visible()
    assert page.locator(".welcome h1").inner_text().startswith("您好")
    shown = page.locator(".workbench .card h3").all_inner_texts()
    for title in titles:
        assert title in shown, (username, title, shown)
    cards = page.eval_on_selector_all(".workbench a.card", "as => as.map(a => a.getAttribute('href'))")
    assert all(href.startswith("/") for href in cards), cards  # each opens: test_pages_city.py follows them
    tab.screenshot(f"home-{username}")
    tab.assert_clean()


def test_leader_sees_the_district_map_and_the_overview_charts(tab: Watched) -> None:
    tab.login("leader")
    page = tab.page
    tab.goto("/map")
    page.wait_for_selector("#map[data-rendered='1'] canvas")
    assert page.locator(".area-list tbody tr").count() == 3  # the small demo city's districts
    assert _painted_pixels(tab, "#map") > 20_000
    option: dict[str, Any] = page.evaluate(
        "() => { const o = echarts.getInstanceByDom(document.getElementById('map')).getOption();"
        " return {map: o.series[0].map, n: o.series[0].data.length, vm: (o.visualMap || []).length}; }"
    )
    assert option == {"map": "yiwang-district-330100", "n": 3, "vm": 1}
    tab.screenshot("map-leader")

    page.locator(".area-list a").first.click()  # drill down into the first district's streets
    page.wait_for_selector("#map[data-layer='street'][data-rendered='1'] canvas")
    assert page.locator(".crumbs a").first.inner_text() == "杭州市"
    tab.screenshot("map-leader-street")

    tab.goto("/overview")
    page.wait_for_function("document.querySelectorAll('.chart[data-rendered=\"1\"] canvas').length === 3")
    figures = page.locator(".stat b").all_inner_texts()
    assert len(figures) == 5 and all(int(f.replace(",", "")) > 0 for f in figures), figures
    for i in range(3):
        assert _painted_pixels(tab, f".chart-panel:nth-child({i + 1}) .chart") > 5_000
    tab.screenshot("overview-leader")
    tab.assert_clean()


def test_grid_worker_map_highlights_the_own_grid(tab: Watched) -> None:
    tab.login("grid")
    page = tab.page
    tab.goto("/map")
    page.wait_for_selector("#map[data-layer='grid'][data-rendered='1'] canvas")
    highlight = page.get_attribute("#map", "data-highlight")
    assert highlight and highlight.endswith("第1网格")
    assert page.locator("tr.mine").inner_text().startswith(highlight)
    colour = page.evaluate(
        "name => echarts.getInstanceByDom(document.getElementById('map')).getOption()"
        ".series[0].data.find(d => d.name === name).itemStyle.areaColor",
        highlight,
    )
    assert colour == "#c8161d"
    tab.screenshot("map-grid")
    tab.assert_clean()


def test_admin_verifies_the_audit_chain_with_htmx(tab: Watched) -> None:
    tab.login("admin")
    page = tab.page
    tab.goto("/audit")
    assert page.locator("table.audit tbody tr").count() > 0
    shown = page.locator("table.audit").inner_text()
    assert "登录" in shown and "登录账号 · 编号" in shown  # Chinese names of the action and its object
    assert "session_create" not in shown and "identity." not in shown
    page.click("button:has-text('校验审计链')")
    result = page.wait_for_selector("#verify-result [data-outcome]")
    assert result.get_attribute("data-outcome") == "intact", result.inner_text()
    assert "审计链完整" in result.inner_text()
    tab.screenshot("audit-admin")
    tab.screenshot("audit-admin-top", full_page=False)
    tab.assert_clean()


def test_a_citizen_gets_the_403_page_for_staff_pages(tab: Watched) -> None:
    tab.login("citizen")
    response = tab.goto("/persons")
    assert response.status == 403
    page = tab.page
    assert page.locator(".error-page .code").inner_text() == "403"
    assert "无权" in page.locator(".error-page h1").inner_text()
    assert page.locator(".error-page a.button").get_attribute("href") == "/"
    tab.screenshot("error-403")
    assert not tab.failed and not tab.foreign
    assert all("403" in e for e in tab.console_errors), tab.console_errors


def test_an_unknown_page_gets_the_404_page(tab: Watched) -> None:
    tab.login("clerk")
    response = tab.goto("/no/such/page")
    assert response.status == 404
    page = tab.page
    assert page.locator(".error-page .code").inner_text() == "404"
    assert "页面或资源不存在" in page.locator(".error-page").inner_text()
    tab.screenshot("error-404")
    assert not tab.failed and not tab.foreign
    assert all("404" in e for e in tab.console_errors), tab.console_errors


def test_the_enterprise_account_opens_its_enterprise_from_the_home_card(tab: Watched) -> None:
    tab.login("enterprise")
    page = tab.page
    with page.expect_navigation():
        page.click(".workbench a.card:has-text('企业信息')")
    assert page.url == tab.base + "/enterprise"
    assert page.locator("h1").inner_text().endswith("有限公司")
    assert len(page.locator("table.kv code").inner_text()) == 18  # the unified social credit code
    tab.screenshot("enterprise")
    tab.assert_clean()
