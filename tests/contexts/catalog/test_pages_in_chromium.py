"""The resource page in a real browser: the "谁在使用" section loads by htmx and falls back to
"暂无使用方" when the consumers fragment is missing or fails."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Watched

pytestmark = pytest.mark.browser


def test_consumers_section_falls_back_when_the_fragment_is_missing(tab: Watched) -> None:
    tab.login("officer")
    tab.page.route("**/exchange/resources/*/consumers", lambda route: route.fulfill(status=404, body="no"))
    tab.goto("/catalog/330100-MZ-0001")
    section = tab.page.locator("#consumers")
    section.get_by_text("暂无使用方").wait_for()
    assert section.inner_text().strip() == "暂无使用方"
    tab.screenshot("catalog-resource")


def test_consumers_section_shows_the_fragment_or_an_error_note(tab: Watched) -> None:
    tab.login("officer")
    tab.page.route(
        "**/exchange/resources/*/consumers",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<ul><li>市公安局 · 户籍核验</li></ul>"
        ),
    )
    tab.goto("/catalog/330100-GA-0001")
    tab.page.locator("#consumers li", has_text="市公安局").wait_for()
    tab.page.unroute("**/exchange/resources/*/consumers")
    tab.page.route("**/exchange/resources/*/consumers", lambda route: route.fulfill(status=500, body="boom"))
    tab.goto("/catalog/330100-SJ-0001")
    tab.page.locator("#consumers", has_text="暂时无法加载").wait_for()


def test_catalog_search_in_the_browser(tab: Watched) -> None:
    tab.login("staff")
    tab.goto("/catalog")
    assert tab.page.locator("a.cat-name").count() == 7
    tab.screenshot("catalog-list")
    tab.page.fill("#q", "婚姻")
    with tab.page.expect_navigation():
        tab.page.click("form[role=search] button[type=submit]")
    assert tab.page.locator("a.cat-name").all_inner_texts() == ["婚姻登记信息"]
    tab.page.click("a.cat-name")
    tab.page.locator("h1", has_text="婚姻登记信息").wait_for()
