"""The map, the city overview, the audit log page and the enterprise page: who may see what."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from yiwang.contexts.identity.models import Enterprise, Person
from yiwang.core.audit import AuditRecord
from yiwang.core.db import transaction

HTML = {"accept": "text/html"}


def _count(model: type) -> int:
    with transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_overview_figures_are_counts_of_the_leaders_city(as_user) -> None:
    c = as_user("leader")
    body = c.get("/api/v1/stats/overview").json()
    assert body["region_code"] == "330100" and body["area_level"] == "district"
    assert body["persons"] == _count(Person) and body["enterprises"] == _count(Enterprise)
    assert [a["code"] for a in body["areas"]] == ["330102", "330106", "330108"]
    assert sum(a["persons"] for a in body["areas"]) == body["persons"]
    assert sum(a["enterprises"] for a in body["areas"]) == body["enterprises"]
    assert list(body["enterprises_by_size"]) == ["micro", "small", "medium", "large"]
    assert sum(body["enterprises_by_size"].values()) == body["enterprises"]
    assert body["grids"] == 18 and body["departments"] > 0 and body["audit_records"] > 0
    page = c.get("/overview", headers=HTML)
    assert page.status_code == 200 and "各区登记人口" in page.text and "data-chart=" in page.text
    assert "<script>" not in page.text  # CSP script-src 'self': no inline scripts


def test_overview_is_refused_to_other_roles_and_outside_the_scope(as_user) -> None:
    for username in ("citizen", "clerk", "grid"):
        assert as_user(username).get("/overview", headers=HTML).status_code == 403, username
    officer = as_user("officer")
    assert officer.get("/overview", params={"within": "330106"}).status_code == 200
    assert (
        officer.get("/api/v1/stats/overview", params={"within": "330106001"}).json()["area_level"] == "street"
    )
    assert officer.get("/overview", params={"within": "310101"}, headers=HTML).status_code == 403
    assert officer.get("/overview", params={"within": "33010"}, headers=HTML).status_code == 422


def test_map_follows_the_scope_down_to_the_grid_workers_own_grid(as_user) -> None:
    leader = as_user("leader").get("/api/v1/stats/map").json()
    assert leader["layer"] == "district" and len(leader["areas"]) == 3
    clerk = as_user("clerk")
    view = clerk.get("/api/v1/stats/map").json()
    assert view["layer"] == "street" and all(a["code"].startswith("330106") for a in view["areas"])
    assert [t["code"] for t in view["trail"]] == ["330106"]
    assert clerk.get("/map", params={"within": "330102"}, headers=HTML).status_code == 403
    grid = as_user("grid")
    view = grid.get("/api/v1/stats/map").json()
    assert view["layer"] == "grid" and view["highlight"] == "北山街道第1网格"
    assert all(a["persons"] is None for a in view["areas"])
    page = grid.get("/map", headers=HTML)
    assert 'data-highlight="北山街道第1网格"' in page.text and 'class="mine"' in page.text
    assert as_user("citizen").get("/map", headers=HTML).status_code == 403


def test_audit_log_is_for_admins_and_data_officers_and_verify_needs_the_csrf_token(as_user) -> None:
    assert as_user("clerk").get("/audit", headers=HTML).status_code == 403
    assert as_user("leader").get("/audit", headers=HTML).status_code == 403
    c = as_user("officer")
    page = c.get("/audit", headers=HTML)
    assert page.status_code == 200 and "identity.session_create" in page.text
    token = re.search(r"hx-headers='\{\"X-CSRF-Token\": \"([^\"]+)\"\}'", page.text)
    assert token, page.text[:2000]
    assert c.post("/audit/verify", headers=HTML).status_code == 403  # no token
    r = c.post("/audit/verify", headers={"X-CSRF-Token": token.group(1), "HX-Request": "true"})
    assert r.status_code == 200 and 'data-outcome="intact"' in r.text and "审计链完整" in r.text
    assert "<html" not in r.text  # a fragment for htmx
    with transaction() as s:
        done = s.scalars(
            select(AuditRecord).where(AuditRecord.action == "identity.audit_verify").order_by(AuditRecord.id)
        ).all()
    assert done and done[-1].outcome == "ok" and done[-1].detail and done[-1].detail["records"] > 0


def test_the_enterprise_account_sees_its_own_enterprise(as_user) -> None:
    page = as_user("enterprise").get("/enterprise", headers=HTML)
    assert page.status_code == 200 and "统一社会信用代码" in page.text and "有限公司" in page.text
    assert as_user("citizen").get("/enterprise", headers=HTML).status_code == 404


def test_every_home_card_and_menu_entry_opens(as_user) -> None:
    for username in ("citizen", "enterprise", "clerk", "staff", "grid", "officer", "leader", "admin"):
        c = as_user(username)
        home = c.get("/", headers=HTML).text
        nav = re.search(r'<nav class="mainnav".*?</nav>', home, re.S)
        assert nav, username
        cards = set(re.findall(r'<a class="card" href="([^"]+)"', home))
        assert cards, username
        for href in sorted(cards | set(re.findall(r'href="([^"]+)"', nav.group(0)))):
            assert c.get(href, headers=HTML).status_code == 200, (username, href)
