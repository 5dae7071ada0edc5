"""In chromium, at 1280×800 and 390×844: an administrator registers a second system for single
sign-on and manages a staff account on the pages; then a member of staff logs in to that system
through yiwang (login, consent) and the system gets a verified ID token. Screenshots:
test-artifacts/screenshots/sso-*.png."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests

from tests.browser.conftest import Watched

pytestmark = pytest.mark.browser

DESKTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}
CALLBACK = "http://127.0.0.1:18080/rp/callback"  # only registered (admin pages test)


@pytest.fixture
def second_system() -> Iterator[str]:
    """The relying party's callback page, served by a real HTTP server on a free local port."""

    class Callback(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = "<!doctype html><meta charset=utf-8><title>公积金管理系统</title><p>正在登录公积金管理系统……</p>"
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Callback)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/rp/callback"
    finally:
        server.shutdown()
        server.server_close()


def _wide(page: Any) -> bool:
    width = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    return width[0] > width[1]


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_admin_registers_a_system_and_manages_an_account_on_the_pages(tab: Watched, size: dict) -> None:
    page = tab.page
    page.set_viewport_size(size)
    tag = f"{size['width']}"
    tab.login("admin")
    tab.goto("/admin/oidc-clients")
    page.fill("#oidc-name", f"公积金管理系统{tag}")
    page.fill("#oidc-redirects", CALLBACK)
    page.check("input[name=scopes][value=org]")
    with page.expect_navigation():
        page.click("#new-oidc-client button[type=submit]")
    assert "只显示这一次" in page.locator(".notice.created").inner_text()
    assert not _wide(page)
    tab.screenshot(f"sso-admin-oidc-client-created-{tag}", full_page=False)

    tab.goto("/admin/accounts")
    page.click(".admin-new summary")
    page.fill("#username", f"zhou{tag}")
    page.fill("#display_name", "周办事")
    page.fill("#password", "short")
    page.check("#new-account input[name=roles][value=dept_staff]")
    page.evaluate(
        "document.querySelector('#password').removeAttribute('minlength')"
    )  # let the server refuse it
    with page.expect_navigation():
        page.click("#new-account button[type=submit]")
    assert "密码至少 8 位" in page.locator("#new-account").inner_text()
    tab.screenshot(f"sso-admin-account-refused-{tag}", full_page=False)
    assert all("422" in e for e in tab.console_errors), tab.console_errors  # the refused form itself
    tab.console_errors.clear()
    page.fill("#password", "a-good-password-1")
    page.check("#new-account input[name=roles][value=dept_staff]")
    with page.expect_navigation():
        page.click("#new-account button[type=submit]")
    assert f"已创建账号 zhou{tag}" in page.locator(".notice").inner_text()
    page.fill("#q", f"zhou{tag}")
    with page.expect_navigation():
        page.click(".admin-filter button")
    with page.expect_navigation():
        page.click('table.admin-accounts a[href^="/admin/accounts/"]')
    with page.expect_navigation():
        page.click('.admin-actions button:has-text("重置密码")')
    assert page.locator("code.secret").inner_text().strip()
    assert not _wide(page)
    tab.screenshot(f"sso-admin-account-{tag}")
    tab.assert_clean()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_second_system_logs_staff_in_through_yiwang(tab: Watched, size: dict, second_system: str) -> None:
    from yiwang.contexts.identity.oidc.actions_clients import client_create
    from yiwang.core.actor import SYSTEM
    from yiwang.core.db import transaction
    from yiwang.core.security import limiter

    with transaction() as s:
        client, secret = client_create(
            s, SYSTEM, "公积金管理系统", [second_system], ["openid", "profile", "org"]
        )
        client_id = client.client_id
    page = tab.page
    page.set_viewport_size(size)
    verifier = secrets.token_urlsafe(40)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": second_system, "scope": "openid profile org",
              "state": "s1", "nonce": "n1", "code_challenge": challenge, "code_challenge_method": "S256"}  # fmt: skip
    limiter.reset()
    tab.goto("/oidc/authorize?" + urlencode(params))
    assert "/login" in page.url
    page.fill("#username", "staff")
    page.fill("#password", "yiwang-demo")
    with page.expect_navigation():
        page.click("form.login button[type=submit]")
    assert "公积金管理系统" in page.locator("form.consent").inner_text()
    assert "所在部门、管辖区划与角色" in page.locator("form.consent").inner_text()
    assert not _wide(page)
    tab.screenshot(f"sso-consent-{size['width']}")
    with page.expect_navigation():
        page.click("button[value=allow]")
    assert page.url.startswith(second_system)
    query = parse_qs(urlsplit(page.url).query)
    assert query["state"] == ["s1"]
    tokens = requests.post(f"{tab.base}/oidc/token", auth=(client_id, secret), timeout=10, data={
        "grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": second_system,
        "code_verifier": verifier}).json()  # fmt: skip
    key = jwt.PyJWKClient(f"{tab.base}/oidc/jwks", cache_jwk_set=False).get_signing_key_from_jwt(
        tokens["id_token"]
    )
    claims = jwt.decode(
        tokens["id_token"], key, algorithms=["RS256", "EdDSA"], audience=client_id, issuer=tab.base
    )
    assert (
        claims["preferred_username"] == "staff" and claims["nonce"] == "n1" and claims["department"]["name"]
    )
    assert re.search(r"[\u4e00-\u9fff]", claims["name"])
    tab.assert_clean()
