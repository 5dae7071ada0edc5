"""Logging in as people do: forms with CSRF tokens, sessions, lockout, home pages per role."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_of, login

ROLES = {
    "citizen": "市民工作台",
    "enterprise": "企业工作台",
    "clerk": "综合窗口工作台",
    "staff": "部门工作人员工作台",
    "grid": "网格员工作台",
    "officer": "数据管理员工作台",
    "leader": "领导工作台",
    "admin": "系统管理员工作台",
}


@pytest.mark.parametrize("username", sorted(ROLES))
def test_each_demo_role_logs_in_and_sees_its_home(client, username: str) -> None:
    r = login(client, username)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "yw_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = client.get("/")
    assert home.status_code == 200
    assert ROLES[username] in home.text


def test_home_without_login_redirects_to_the_login_page(client) -> None:
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/"


def test_a_wrong_password_says_so_without_revealing_which_part_was_wrong(client) -> None:
    r = login(client, "clerk", "not-the-password")
    assert r.status_code == 401
    assert "用户名或密码错误" in r.text
    r = login(client, "no-such-user", "whatever-password")
    assert "用户名或密码错误" in r.text


def test_a_login_form_without_csrf_token_is_refused(client) -> None:
    client.get("/login")
    r = client.post("/login", data={"username": "clerk", "password": "yiwang-demo"}, follow_redirects=False)
    assert r.status_code == 403
    assert "表单" in r.text


def test_a_logged_in_form_post_without_csrf_token_is_refused(as_user) -> None:
    c = as_user("clerk")
    r = c.post("/logout", data={}, follow_redirects=False)
    assert r.status_code == 403
    assert c.get("/").status_code == 200  # still logged in: nothing changed
    r = c.post("/logout", data={"csrf_token": csrf_of(c)}, follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/", follow_redirects=False).status_code == 303


def test_repeated_failures_lock_the_account(app) -> None:
    from fastapi.testclient import TestClient

    from yiwang.contexts.identity.actions_access import user_create
    from yiwang.core.actor import SYSTEM
    from yiwang.core.db import transaction
    from yiwang.core.security import limiter

    with transaction() as s:
        user_create(s, SYSTEM, "lockme", "correct-horse-1", "锁定测试", ["dept_staff"], region_code="330106")
    with TestClient(app) as c:
        for _ in range(5):
            limiter.reset()
            assert login(c, "lockme", "wrong-password").status_code == 401
        limiter.reset()
        r = login(c, "lockme", "correct-horse-1")
        assert r.status_code == 401
        assert "锁定" in r.text


def test_brute_force_from_one_address_is_slowed(client) -> None:
    statuses = [login(client, "nobody-here", f"guess-{i}").status_code for i in range(22)]
    assert 429 in statuses
