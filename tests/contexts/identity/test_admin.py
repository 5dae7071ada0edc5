"""The administration area (系统管理) as an administrator and as everyone else: accounts, roles,
departments, API clients and single sign-on clients, through the API and the pages; every
change audited, bad input a 422 with field-keyed Chinese messages that changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import csrf_of, login
from yiwang.core.db import transaction


def _audited(action: str, target_id: object) -> list[str]:
    with transaction() as s:
        rows = s.execute(text("SELECT outcome FROM audit_record WHERE action = :a AND target_id = :t"),
                         {"a": action, "t": str(target_id)})  # fmt: skip
        return [r[0] for r in rows]


def _admin(as_user: Any) -> tuple[Any, dict[str, str]]:
    c = as_user("admin")
    return c, {"X-CSRF-Token": csrf_of(c)}


def test_an_admin_creates_changes_disables_and_resets_a_staff_account_all_audited(as_user: Any) -> None:
    c, h = _admin(as_user)
    made = c.post("/api/v1/admin/accounts", headers=h, json={
        "username": "wang.clerk", "display_name": "王窗口", "password": "initial-pass-1", "roles": ["window_clerk"],
        "department_code": "330106-government_service"})  # fmt: skip
    assert made.status_code == 201, made.text
    uid = made.json()["id"]
    changed = c.patch(f"/api/v1/admin/accounts/{uid}", headers=h, json={
        "display_name": "王窗口", "roles": ["window_clerk", "dept_staff"], "department_code": "330106-civil_affairs"})  # fmt: skip
    assert changed.status_code == 200 and changed.json()["roles"] == ["dept_staff", "window_clerk"]
    assert _audited("identity.user_update", uid) == ["ok"]

    from fastapi.testclient import TestClient

    from yiwang.core.security import limiter

    with TestClient(c.app) as person:
        limiter.reset()
        assert login(person, "wang.clerk", "initial-pass-1").status_code == 303
        assert c.post(f"/api/v1/admin/accounts/{uid}/disable", headers=h).json()["disabled"] is True
        assert person.get("/api/v1/me").status_code == 401  # the session ended with the account
        assert login(person, "wang.clerk", "initial-pass-1").status_code == 401
        c.post(f"/api/v1/admin/accounts/{uid}/enable", headers=h)
        new = c.post(f"/api/v1/admin/accounts/{uid}/password-reset", headers=h).json()["password"]
        assert login(person, "wang.clerk", "initial-pass-1").status_code == 401
        assert login(person, "wang.clerk", new).status_code == 303
    assert sorted(_audited("identity.user_disable", uid)) == [
        "disabled",
        "enabled",
    ]  # same instant on PostgreSQL
    assert _audited("identity.user_password_reset", uid) == ["ok"]


def test_an_admin_cannot_disable_or_demote_themselves(as_user: Any) -> None:
    c, h = _admin(as_user)
    me = c.get("/api/v1/admin/accounts?q=admin").json()
    admin_id = next(u["id"] for u in me if u["username"] == "admin")
    r = c.post(f"/api/v1/admin/accounts/{admin_id}/disable", headers=h)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    r = c.patch(
        f"/api/v1/admin/accounts/{admin_id}", headers=h, json={"display_name": "管理员", "roles": ["leader"]}
    )
    assert r.status_code == 422 and any(e["field"] == "roles" for e in r.json()["errors"])


@pytest.mark.parametrize("body, field", [
    ({"username": "x y", "display_name": "甲", "password": "longenough", "roles": ["leader"]}, "username"),
    ({"username": "jia", "display_name": "甲", "password": "short", "roles": ["leader"]}, "password"),
    ({"username": "jia", "display_name": "甲", "password": "longenough", "roles": ["king"]}, "roles"),
    ({"username": "jia", "display_name": "甲", "password": "longenough", "roles": ["leader"],
      "department_code": "nowhere"}, "department"),
])  # fmt: skip
def test_bad_account_input_is_a_422_naming_the_field_and_creates_nothing(
    as_user: Any, body: dict, field: str
) -> None:
    c, h = _admin(as_user)
    r = c.post("/api/v1/admin/accounts", headers=h, json=body)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert any(e["field"] == field for e in problem["errors"]), problem
    assert re.search(r"[\u4e00-\u9fff]", problem["detail"])
    assert not [u for u in c.get("/api/v1/admin/accounts?q=jia").json() if u["username"] == "jia"]


def test_departments_roles_and_api_clients_are_managed_and_audited(as_user: Any) -> None:
    c, h = _admin(as_user)
    d = c.post("/api/v1/admin/departments", headers=h, json={"region_code": "330106", "kind": "urban_management",
               "name": "西湖区城市管理局", "short_name": "城管"})  # fmt: skip
    if d.status_code == 409:  # the demo city already has one: rename it instead
        dept = next(
            x for x in c.get("/api/v1/admin/departments").json() if x["code"] == "330106-urban_management"
        )
    else:
        assert d.status_code == 201, d.text
        dept = d.json()
    renamed = c.patch(
        f"/api/v1/admin/departments/{dept['id']}",
        headers=h,
        json={"name": "西湖区城管局", "short_name": "城管"},
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "西湖区城管局"
    assert "ok" in _audited("identity.department_update", dept["id"])
    back = c.patch(  # the demo city's department as it was: other tests of this database read its name
        f"/api/v1/admin/departments/{dept['id']}", headers=h,
        json={"name": dept["name"], "short_name": dept.get("short_name") or "城管"},
    )  # fmt: skip
    assert back.status_code == 200, back.text
    roles = {r["code"]: r for r in c.get("/api/v1/admin/roles").json()}
    assert roles["admin"]["accounts"] >= 1 and roles["admin"]["name"] == "系统管理员"

    made = c.post("/api/v1/admin/api-clients", headers=h, json={"name": "审计外联系统", "scopes": ["identity"],
                  "region_code": "330106"}).json()  # fmt: skip
    from fastapi.testclient import TestClient

    other = TestClient(c.app)  # the calling system: no session cookie
    token = other.post("/api/v1/oauth/token", data={"grant_type": "client_credentials", "client_id": made["client_id"],
                   "client_secret": made["client_secret"]})  # fmt: skip
    assert token.status_code == 200
    assert (
        c.post(f"/api/v1/admin/api-clients/{made['client_id']}/revoke", headers=h).json()["disabled"] is True
    )
    again = other.post("/api/v1/oauth/token", data={"grant_type": "client_credentials", "client_id": made["client_id"],
                   "client_secret": made["client_secret"]})  # fmt: skip
    assert again.status_code == 401
    assert _audited("identity.client_revoke", made["client_id"]) == ["ok"]


def test_oidc_clients_are_registered_changed_and_revoked_through_the_api(as_user: Any) -> None:
    c, h = _admin(as_user)
    bad = c.post("/api/v1/admin/oidc-clients", headers=h, json={"name": "档案系统", "redirect_uris": ["ftp://x/cb"],
                 "scopes": ["profile"]})  # fmt: skip
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"redirect_uris", "scopes"}
    made = c.post("/api/v1/admin/oidc-clients", headers=h, json={"name": "档案系统",
                  "redirect_uris": ["https://da.example.gov.cn/cb"], "scopes": ["openid", "profile"]})  # fmt: skip
    assert made.status_code == 201 and made.json()["client_secret"]
    cid = made.json()["client_id"]
    put = c.put(f"/api/v1/admin/oidc-clients/{cid}", headers=h, json={"name": "档案系统", "scopes": ["openid", "org"],
                "redirect_uris": ["https://da.example.gov.cn/cb2"]})  # fmt: skip
    assert put.status_code == 200 and put.json()["scopes"] == ["openid", "org"]
    assert c.post(f"/api/v1/admin/oidc-clients/{cid}/revoke", headers=h).json()["disabled"] is True
    assert _audited("identity.oidc_client_create", cid) == ["ok"]
    assert _audited("identity.oidc_client_update", cid) == ["ok"]
    assert _audited("identity.oidc_client_revoke", cid) == ["ok"]


@pytest.mark.parametrize("username", ["staff", "leader", "officer"])
def test_nobody_but_an_admin_reaches_the_administration(as_user: Any, username: str) -> None:
    c = as_user(username)
    h = {"X-CSRF-Token": csrf_of(c)}
    assert c.get("/api/v1/admin/accounts").status_code == 403
    assert c.post("/api/v1/admin/oidc-keys/rotate", headers=h).status_code == 403
    assert c.get("/admin/accounts").status_code == 403
    assert c.post("/api/v1/admin/accounts", headers=h, json={"username": "sneaky", "display_name": "甲",
                  "password": "longenough", "roles": ["admin"]}).status_code == 403  # fmt: skip


def test_the_pages_create_an_account_show_a_secret_once_and_reject_bad_input_in_chinese(as_user: Any) -> None:
    c = as_user("admin")
    for path in (
        "/admin/accounts",
        "/admin/roles",
        "/admin/departments",
        "/admin/api-clients",
        "/admin/oidc-clients",
    ):
        page = c.get(path)
        assert page.status_code == 200 and "系统管理" in page.text, path
    csrf = csrf_of(c, "/admin/accounts")
    bad = c.post("/admin/accounts", data={"csrf_token": csrf, "username": "li.page", "display_name": "李",
                 "password": "short", "roles": ["leader"]})  # fmt: skip
    assert bad.status_code == 422 and "密码至少 8 位" in bad.text
    ok = c.post("/admin/accounts", data={"csrf_token": csrf, "username": "li.page", "display_name": "李",
                "password": "long-enough-1", "roles": ["leader"]})  # fmt: skip
    assert ok.status_code == 200 and "已创建账号 li.page" in ok.text
    made = c.post("/admin/oidc-clients", data={"csrf_token": csrf, "name": "公积金系统",
                  "redirect_uris": "https://gjj.example.gov.cn/cb", "scopes": ["openid", "profile"]})  # fmt: skip
    assert made.status_code == 200 and "只显示这一次" in made.text
    assert "只显示这一次" not in c.get("/admin/oidc-clients").text
