"""Every role's pages as a new user meets them, at 1280×800 and on a 390×844 phone: nothing wider
than the screen, the menu reachable (a menu button on the phone, 更多 when the bar is full), table
cells never one character wide (cards labelled by their column on the phone), no internal code or
English field name on the screen. Screenshots: test-artifacts/screenshots/layout-*.png."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Watched

pytestmark = pytest.mark.browser

DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}
PAGES = {
    "citizen": [
        "/",
        "/me",
        "/notifications",
        "/cityops/stats",
        "/consult",
        "/consult?q=孩子出生怎么办出生医学证明",
        "/services",
        "/services/items/200004001000",
        "/services/items/200004001000/apply",
        "/services/applications",
        "/services/bundles/birth",
        "/services/licenses",
        "/services/evaluations",
    ],
    "enterprise": ["/", "/enterprise", "/me", "/services/bundles/convenience_store", "/services/licenses"],
    "clerk": ["/", "/persons", "/enterprises", "/exchange/grants"],
    "clerk2": ["/", "/persons", "/services/items/200007001000/apply"],
    "staff": [
        "/",
        "/persons",
        "/exchange/requests",
        "/workbench/tasks",
        "/workbench/knowledge",
        "/workbench/knowledge?q=居住证",
    ],
    "grid": ["/", "/persons", "/map", "/cityops/report", "/cityops/events"],
    "officer": ["/", "/audit", "/catalog", "/catalog/330100-MZ-0001", "/exchange/monitor", "/overview"],
    "leader": [
        "/",
        "/overview",
        "/map",
        "/workbench/supervision",
        "/workbench/workflows",
        "/workbench/hotline/topics",
        "/cityops/dashboard",
        "/cityops/signals",
    ],
    "admin": [
        "/",
        "/audit",
        "/notifications/failures",
        "/workbench/workflows/exchange.sharing_request",
        "/admin/accounts",
        "/admin/roles",
        "/admin/departments",
        "/admin/api-clients",
        "/admin/oidc-clients",
    ],
    "budongchan": [
        "/",
        "/exchange/requests",
        "/exchange/grants",
        "/exchange/requests/new?resource=330100-MZ-0001",
    ],
    "rexian": ["/", "/workbench/hotline", "/workbench/hotline/new"],
    "renshe": ["/", "/workbench/hotline", "/workbench/tasks"],
    "minzheng": ["/", "/exchange/requests?tab=incoming", "/workbench/tasks", "/workbench/tasks?due=overdue"],
}
# internal names that must never reach a person's screen
INTERNAL = re.compile(r"\b(?:identity|exchange|catalog|workbench|workflow)\.[a-z_]+|\bsrc_[a-z]+|\b(?:user|client):\S|"
                      r"\b[a-z]+_[a-z]+(?:_[a-z]+)*\b")  # fmt: skip

# cells whose text of 4+ characters is laid out at 2 characters a line or fewer
SQUEEZED_CELLS = """() => {
  const out = [];
  for (const cell of document.querySelectorAll('main td, main th')) {
    if (!cell.offsetParent) continue;
    for (const node of cell.childNodes) {
      const text = node.nodeType === 3 ? node.textContent.trim() : '';
      if (text.length < 4) continue;
      const range = document.createRange(); range.selectNodeContents(node);
      const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
      if (lines > 1 && text.length / lines <= 2) out.push(text.slice(0, 20) + ' (' + lines + ' lines)');
    }
  }
  return out;
}"""


def _name(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.strip("/").lower()).strip("-") or "home"


def _check_page(tab: Watched, username: str, path: str, size: dict[str, int]) -> None:
    page = tab.page
    response = tab.goto(path)
    assert response.status == 200, (username, path, response.status)
    page.wait_for_load_state("load")
    where = f"{username} {path} at {size['width']}"
    width = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{where}: the page is {width[0]} px wide"
    squeezed = page.evaluate(SQUEEZED_CELLS)
    assert not squeezed, f"{where}: cells one or two characters wide: {squeezed}"
    shown = page.locator("body").inner_text()
    leaked = sorted(set(INTERNAL.findall(shown)))
    assert not leaked, f"{where}: internal names on the screen: {leaked}"
    tab.screenshot(f"layout-{username}-{_name(path)}-{size['width']}")


@pytest.mark.parametrize("username", list(PAGES))
def test_each_roles_pages_fit_the_desktop_and_the_phone(tab: Watched, username: str) -> None:
    page = tab.page
    page.set_viewport_size(DESKTOP)
    tab.login(username)
    bar = page.evaluate("document.querySelector('.topbar').getBoundingClientRect().height")
    assert bar <= 60, f"{username}: the top bar wraps ({bar} px)"
    reachable = page.evaluate("""() => [...document.querySelectorAll('.mainnav a')].map(a => {
        const r = a.getBoundingClientRect(), bar = document.querySelector('.nav-items').getBoundingClientRect();
        return a.closest('.nav-more-list') ? 'more' : (r.right <= bar.right + 1 && r.height > 0 ? 'bar' : 'clipped');
    })""")
    assert "clipped" not in reachable, f"{username}: a menu item is cut off: {reachable}"
    for path in PAGES[username]:
        _check_page(tab, username, path, DESKTOP)
    page.set_viewport_size(PHONE)
    for path in PAGES[username]:
        _check_page(tab, username, path, PHONE)
    tab.assert_clean()


def test_the_phone_menu_opens_from_its_button_and_closes_with_escape(tab: Watched) -> None:
    page = tab.page
    page.set_viewport_size(PHONE)
    tab.login("grid")
    toggle = page.locator(".menu-toggle")
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert not page.locator(".mainnav a[href='/persons']").is_visible()
    tab.screenshot("layout-phone-menu-closed", full_page=False)
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    for label in ("首页", "自然人", "企业", "地图", "数据目录"):
        assert page.locator(".mainnav a", has_text=label).first.is_visible(), label
    assert page.locator(".who button", has_text="退出").is_visible()
    tab.screenshot("layout-phone-menu-open", full_page=False)
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.focus()
    page.keyboard.press("Enter")  # keyboard users open it too
    assert toggle.get_attribute("aria-expanded") == "true"
    with page.expect_navigation():
        page.locator(".mainnav a[href='/persons']").click()
    assert page.url.endswith("/persons")
    cell = page.locator("table.rt tbody tr").first.locator("td").nth(1)
    label = cell.evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"身份证号码"', label  # a card per person, each value labelled by its column
    tab.screenshot("layout-phone-persons-cards")
    tab.assert_clean()


def test_what_does_not_fit_the_bar_goes_under_more(tab: Watched) -> None:
    page = tab.page
    page.set_viewport_size({"width": 900, "height": 700})
    tab.login("admin")
    more = page.locator(".nav-more-toggle")
    assert more.is_visible()
    hidden = page.locator(".nav-more-list a")
    assert hidden.count() > 0 and not hidden.first.is_visible()
    more.click()
    assert more.get_attribute("aria-expanded") == "true" and hidden.first.is_visible()
    tab.screenshot("layout-more-open", full_page=False)
    page.keyboard.press("Escape")
    assert more.get_attribute("aria-expanded") == "false"
    narrow = page.locator(".nav-items a").count()
    page.set_viewport_size(
        DESKTOP
    )  # wider: items come back to the bar (an admin has many: some stay under 更多)
    page.wait_for_function(f"document.querySelectorAll('.nav-items a').length > {narrow}")
    tab.assert_clean()


def test_a_fixed_field_loses_its_error_message(tab: Watched) -> None:
    page = tab.page
    tab.login("budongchan")
    tab.goto("/exchange/requests/new?resource=330100-MZ-0001")
    with page.expect_navigation():
        page.click("form.ex-form button[type=submit]")
    assert page.locator(".field.has-error #purpose").count() == 1
    assert page.locator("#purpose-error").is_visible()
    page.fill("#purpose", "办理不动产转移登记时核验婚姻状况")
    assert page.locator("#purpose-error").count() == 0
    assert page.locator(".field.has-error #purpose").count() == 0
    assert page.locator("#legal_basis-error").is_visible()  # the other field is still wrong
    page.check("input[name=fields][value=name]")
    assert page.locator(".ex-checks.has-error").count() == 0
    assert not tab.failed and not tab.foreign
    assert all("422" in e for e in tab.console_errors), tab.console_errors  # the refused form itself


def test_the_login_page_lists_the_demo_accounts_and_a_click_fills_the_form(tab: Watched) -> None:
    page = tab.page
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        tab.goto("/login")
        accounts = page.locator(".demo-login").evaluate_all("bs => bs.map(b => b.dataset.username)")
        assert set(PAGES) <= set(accounts), accounts
        budongchan = page.locator(".demo-login[data-username=budongchan]").inner_text()
        assert "西湖区不动产登记中心" in budongchan and "婚姻登记信息" in budongchan
        assert "杭州市民政局" in page.locator(".demo-login[data-username=minzheng]").inner_text()
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
        tab.screenshot(f"layout-login-{size['width']}")
    page.click(".demo-login[data-username=minzheng]")
    assert page.input_value("#username") == "minzheng" and page.input_value("#password")
    with page.expect_navigation():
        page.click("form.login button[type=submit]")
    assert page.url == tab.base + "/"
    tab.assert_clean()
