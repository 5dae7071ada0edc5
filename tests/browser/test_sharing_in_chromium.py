"""The sharing story of the issue in a real browser: 西湖区不动产登记中心 fills the new-request
form for 婚姻登记信息, 杭州市民政局 approves it with the spouse's number masked, the consumer's
system reads a record through the API, the citizen sees the use on /me, and the data officer
watches it on 共享监控. Screenshots go to test-artifacts/screenshots/sharing-*.png."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import Watched
from tests.conftest import csrf_of
from tests.contexts.exchange.helpers import HOUSEHOLD, MARRIAGE, district_officer, headers, token_for
from tests.workflow_helpers import make_overdue

pytestmark = pytest.mark.browser

FIELDS = ["id_number", "name", "marital_status", "spouse_name", "spouse_id_number"]


def _switch_user(tab: Watched, username: str) -> None:
    tab.page.context.clear_cookies()
    tab.login(username)


def test_request_approve_use_and_see_it_in_the_browser(tab: Watched, as_user: Any, client: Any) -> None:
    page = tab.page

    # 1. the consumer fills the form
    tab.login("budongchan")
    page.click(".workbench a.card:has-text('共享申请')")
    page.click("a.button:has-text('提出共享申请')")
    page.select_option("#resource_code", MARRIAGE)  # htmx swaps in the resource's fields
    page.locator("input[name=fields][value=spouse_id_number]").wait_for()
    assert page.url.endswith(f"/exchange/requests/new?resource={MARRIAGE}")
    for name in FIELDS:
        page.check(f"input[name=fields][value={name}]")
    page.fill("#purpose", "办理不动产转移登记时核验买卖双方婚姻状况")
    page.fill("#legal_basis", "《不动产登记暂行条例实施细则》第十条")
    page.fill("#daily_quota", "500")
    tab.screenshot("sharing-1-request-form")
    with page.expect_navigation():
        page.click("form.ex-form button[type=submit]")
    m = re.search(r"/exchange/requests/(\d+)\?notice=created$", page.url)
    assert m, page.url
    rid = m.group(1)
    assert page.locator(".notice").inner_text().startswith("共享申请已提交")
    assert page.locator("h1 .ex-badge").inner_text() == "待审批"
    assert page.locator("form[action$='/approve']").count() == 0
    tab.screenshot("sharing-2-request-submitted")
    tab.assert_clean()

    # 2. the provider approves with the spouse's identity number masked
    _switch_user(tab, "minzheng")
    tab.goto("/exchange/requests?tab=incoming")
    row = page.locator("table.ex-requests tr", has=page.locator(f"a[href='/exchange/requests/{rid}']"))
    assert "待审批" in row.inner_text() and "西湖区不动产登记中心" in row.inner_text()
    assert re.search(r"剩余 \d+ 个工作日", row.inner_text())
    tab.screenshot("sharing-3-incoming")
    with page.expect_navigation():
        row.locator(f"a[href='/exchange/requests/{rid}']").first.click()
    page.check("form.ex-approve input[name=masked_fields][value=spouse_id_number]")
    tab.screenshot("sharing-4-approve-form")
    with page.expect_navigation():
        page.click("form.ex-approve button[type=submit]")
    assert page.url.endswith(f"/exchange/requests/{rid}?notice=approved")
    assert page.locator("h1 .ex-badge").inner_text() == "已同意"
    assert page.locator(".ex-chip-masked").inner_text().startswith("配偶身份号码")
    tab.screenshot("sharing-5-approved")
    tab.assert_clean()

    # 3. the consumer's system reads the demo citizen's marriage record (outside the browser)
    citizen = as_user("citizen")
    me = citizen.get("/api/v1/me").json()
    own = citizen.get(f"/api/v1/persons/{me['person_id']}").json()
    token = token_for(client, "330106-real_estate", "330106")
    r = client.get(f"/api/v1/exchange/resources/{MARRIAGE}/records/{own['id_number']}",
                   params={"fields": ",".join(FIELDS)},
                   headers=headers(token, case="BDC-2026-000321", user="窗口人员 李四"))  # fmt: skip
    assert r.status_code == 200, r.text
    record = r.json()["records"][0]
    assert record["id_number"] == own["id_number"] and record["marital_status"] == "已婚"
    assert re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", record["spouse_id_number"]), record["spouse_id_number"]
    assert r.json()["masked"] == ["spouse_id_number"]
    refused = client.get(f"/api/v1/exchange/resources/{HOUSEHOLD}/records/{own['id_number']}",
                         headers=headers(token))  # fmt: skip
    assert refused.status_code == 403  # no grant on 户籍: logged as a refusal for the monitor

    # 4. the citizen sees the use on /me
    _switch_user(tab, "citizen")
    tab.goto("/me")
    uses = page.locator("table", has_text="使用者").inner_text()
    assert "共享查询" in uses and "婚姻登记信息" in uses and "窗口人员 李四" in uses
    tab.screenshot("sharing-6-citizen-me")
    tab.assert_clean()

    # 5. the data officer sees it on 共享监控: figures, four drawn charts, the refusal
    _switch_user(tab, "officer")
    page.click(".mainnav a:has-text('共享监控')")
    rendered = page.locator("#ex-monitor .chart[data-rendered='1'] canvas")
    rendered.nth(3).wait_for()
    assert rendered.count() == 4
    figures = [int(f.replace(",", "")) for f in page.locator(".stat b").all_inner_texts()]
    assert figures[0] >= 2 and figures[1] >= 1, figures
    for chart in ("resources", "consumers", "refusals", "latency"):
        assert _painted_pixels(tab, f"#chart-{chart}") > 3_000, chart
    assert "本部门未获得该资源的共享授权" in page.locator("table.ex-refusals").inner_text()
    tab.screenshot("sharing-7-monitor")
    tab.assert_clean()

    # 5b. a district's data officer sees the same monitor, limited to the district's departments
    _switch_user(tab, district_officer("330106"))
    tab.goto("/exchange/monitor?days=7")
    page.locator("#ex-monitor .chart[data-rendered='1'] canvas").nth(3).wait_for()
    assert "含西湖区各部门" in page.locator(".page-head").inner_text()
    assert "本部门未获得该资源的共享授权" in page.locator("table.ex-refusals").inner_text()
    tab.screenshot("sharing-7b-monitor-district")
    tab.assert_clean()

    # 6. the catalog page of the resource lists the consumer under 谁在使用
    tab.goto(f"/catalog/{MARRIAGE}")
    page.locator("#consumers table.ex-consumers").wait_for()
    assert "西湖区不动产登记中心" in page.locator("#consumers").inner_text()
    tab.screenshot("sharing-8-catalog-consumers")
    tab.assert_clean()


def test_form_errors_grants_and_overdue_pages_in_the_browser(tab: Watched, as_user: Any) -> None:
    page = tab.page
    tab.login("budongchan")
    tab.goto(f"/exchange/requests/new?resource={MARRIAGE}")
    page.check("input[name=fields][value=name]")
    page.fill("#legal_basis", "《不动产登记暂行条例实施细则》第十条")
    page.fill("#row_scope", "330102")  # 上城区: outside 西湖区
    with page.expect_navigation():
        page.click("form.ex-form button[type=submit]")
    assert page.locator("#purpose-error").inner_text() == "此项为必填项"
    assert page.locator("input[name=fields][value=name]").is_checked()
    assert page.locator(".field.has-error").count() == 2  # purpose, row scope
    tab.screenshot("sharing-9-form-errors")
    assert not tab.failed and not tab.foreign
    assert all("422" in e for e in tab.console_errors), tab.console_errors

    tab.page.context.clear_cookies()
    tab.console_errors.clear()
    tab.login("minzheng")
    tab.goto("/exchange/grants")
    assert page.locator("h2", has_text="本部门提供的授权").is_visible()
    tab.screenshot("sharing-10-grants-provider")
    tab.assert_clean()

    consumer = as_user("budongchan")
    r = consumer.post("/api/v1/exchange/requests", headers={"X-CSRF-Token": csrf_of(consumer)}, json={
        "resource_code": MARRIAGE, "fields": ["id_number", "marital_status"], "purpose": "核验婚姻状况（超期示例）",
        "legal_basis": "《不动产登记暂行条例实施细则》第十条", "valid_to": "2027-12-31"})  # fmt: skip
    rid = r.json()["id"]
    make_overdue("sharing_request", rid, days=3)
    tab.page.context.clear_cookies()
    tab.login("officer")
    tab.goto("/exchange/requests?tab=overdue")
    row = page.locator("table.ex-requests tr", has=page.locator(f"a[href='/exchange/requests/{rid}']"))
    assert "已超期" in row.inner_text() and "超期已升级" in row.inner_text()
    tab.screenshot("sharing-11-overdue")
    tab.assert_clean()


def _painted_pixels(tab: Watched, selector: str) -> int:
    return int(
        tab.page.eval_on_selector(
            selector + " canvas",
            """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                      let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""",
        )
    )
