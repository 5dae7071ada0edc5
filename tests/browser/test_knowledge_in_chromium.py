"""The knowledge base in a real browser, on a desktop (1280x800) and a phone (390x844): a
citizen asks 智能咨询 in plain words and gets the passage of the right guide with its source;
a question nothing answers offers the 12345 hand-off; staff search the knowledge base, open the
article, edit it and see the new version. Screenshots: test-artifacts/screenshots/knowledge-*.png."""

from __future__ import annotations

import uuid

import pytest

from tests.browser.conftest import Watched

pytestmark = pytest.mark.browser

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.mark.parametrize("size", list(SIZES))
def test_a_citizen_asks_and_gets_the_right_guide(tab: Watched, size: str) -> None:
    page = tab.page
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    tab.login("citizen")
    tab.goto("/consult")
    page.fill("#kb-question", "孩子刚在医院生下来，要办什么证明？")
    page.click("form.kb-ask button[type=submit]")
    first = page.locator(".kb-passage").first
    first.wait_for()
    assert "出自：出生医学证明办理指南" in first.inner_text()
    assert first.locator("mark").count() >= 1
    assert "仍未解决" in page.locator("#kb-handoff").inner_text()
    box = first.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
    tab.screenshot(f"knowledge-1-consult-{size}")

    tab.goto("/consult?q=" + "火星移民签证办理")
    handoff = page.locator("#kb-handoff")
    assert "12345" in handoff.inner_text()
    assert handoff.locator("a.button").get_attribute("href") == "tel:12345"
    tab.screenshot(f"knowledge-2-consult-handoff-{size}")
    tab.assert_clean()


@pytest.mark.parametrize("size", list(SIZES))
def test_staff_search_read_and_edit_an_article(tab: Watched, size: str) -> None:
    page = tab.page
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    tab.login("staff")
    tab.goto("/workbench/knowledge")
    page.fill("#kb-q", "外地人在本市住了半年，要办什么证")
    with page.expect_navigation():
        page.click("form.kb-search button[type=submit]")
    first = page.locator("#kb-hits .kb-hit").first
    assert "居住证办理" in first.locator("h3").inner_text()
    tab.screenshot(f"knowledge-3-search-{size}")
    with page.expect_navigation():
        first.locator("h3 a").click()
    assert page.locator("h1").inner_text() == "居住证办理"
    version = page.locator(".kb-versions tbody tr").count()
    with page.expect_navigation():
        page.click("a.button[href$='/edit']")
    note = f"补充说明 {uuid.uuid4().hex[:4]}"
    page.fill("#kb-body", page.input_value("#kb-body") + "\n居住证每年签注一次。")
    page.fill("#kb-note", note)
    tab.screenshot(f"knowledge-4-edit-{size}")
    with page.expect_navigation():
        page.click("form.kb-form button[type=submit]")
    assert "已保存为新版本" in page.locator(".notice").inner_text()
    rows = page.locator(".kb-versions tbody tr")
    assert rows.count() == version + 1 and note in rows.first.inner_text()
    assert "居住证每年签注一次" in page.locator(".kb-body").inner_text()
    tab.screenshot(f"knowledge-5-article-{size}")
    tab.assert_clean()
