"""Persons and enterprises through /api/v1: masking, scope, audit of every read, bad input."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import text

from tests.conftest import csrf_of
from tests.contexts.identity.helpers import citizen_and_clerk, read_for
from yiwang.core import codes
from yiwang.core.db import transaction


def _person_in(region_prefix: str) -> tuple[int, str]:
    with transaction() as s:
        row = s.execute(
            text("SELECT id, region_code FROM person WHERE region_code LIKE :p ORDER BY id LIMIT 1"),
            {"p": region_prefix + "%"},
        ).one()
    return row[0], row[1]


def _audit_rows(action: str, target_id: int) -> list[tuple[str, str]]:
    with transaction() as s:
        return [
            (r[0], r[1])
            for r in s.execute(
                text("SELECT outcome, actor FROM audit_record WHERE action = :a AND target_id = :t"),
                {"a": action, "t": str(target_id)},
            )
        ]


def test_a_clerk_sees_a_person_of_their_district_masked_and_the_read_is_audited(as_user) -> None:
    c = as_user("clerk")
    pid, _ = _person_in("330106")
    r = c.get(f"/api/v1/persons/{pid}", headers={"X-Purpose": quote("办理户籍证明")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["masked"] is True
    assert "********" in body["id_number"]
    assert "****" in body["phone"]
    assert any(outcome == "ok" for outcome, _ in _audit_rows("identity.person_read", pid))


def test_a_clerk_of_another_district_is_refused_and_the_refusal_is_audited(as_user) -> None:
    c = as_user("clerk2")  # 上城区 clerk
    pid, _ = _person_in("330106")  # a 西湖区 resident
    r = c.get(f"/api/v1/persons/{pid}")
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["title"] == "无权执行此操作"
    assert "denied" in [o for o, _ in _audit_rows("identity.person_read", pid)]
    r = c.patch(f"/api/v1/persons/{pid}", json={"address": "改到别处"}, headers={"X-CSRF-Token": csrf_of(c)})
    assert r.status_code == 403


def test_the_citizen_sees_their_own_numbers_in_clear_and_who_read_them(as_user) -> None:
    citizen, mine, clerk = citizen_and_clerk(as_user)
    assert mine["masked"] is False
    assert codes.ric_error(mine["id_number"]) is None
    assert read_for(clerk, mine["id"], "核验居住地址") == 200
    uses = citizen.get("/api/v1/me/data-access").json()
    assert any(u["purpose"] == "核验居住地址" and "id_number" in u["fields"] for u in uses)
    page = citizen.get("/me")
    assert "核验居住地址" in page.text


def test_a_citizen_cannot_read_someone_else(as_user) -> None:
    citizen = as_user("citizen")
    me = citizen.get("/api/v1/me").json()
    pid, _ = _person_in("330106")
    other = pid if pid != me["person_id"] else pid + 1
    assert citizen.get(f"/api/v1/persons/{other}").status_code == 403


def test_anonymous_api_calls_get_401_problem_json(client) -> None:
    r = client.get("/api/v1/persons/1")
    assert r.status_code == 401
    assert r.json()["type"].endswith("/unauthenticated")


def test_a_clerk_registers_a_person_and_a_duplicate_is_a_conflict(as_user) -> None:
    c = as_user("clerk")
    body = {
        "id_number": "330106199001011239",
        "name": "测试人",
        "phone": "13900001111",
        "region_code": "330106",
    }
    body["id_number"] = body["id_number"][:17] + codes.ric_check_digit(body["id_number"][:17])
    h = {"X-CSRF-Token": csrf_of(c)}
    r = c.post("/api/v1/persons", json=body, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["gender"] == "M" and r.json()["birth_date"] == "1990-**-**"  # the clerk sees it masked
    r = c.post("/api/v1/persons", json=body, headers=h)
    assert r.status_code == 409
    assert r.json()["errors"][0]["field"] == "id_number"


def test_malformed_numbers_dates_and_json_are_422_with_field_errors(as_user) -> None:
    c = as_user("clerk")
    h = {"X-CSRF-Token": csrf_of(c)}
    with transaction() as s:
        before = s.execute(text("SELECT count(*) FROM person")).scalar()
    r = c.post("/api/v1/persons", json={"id_number": "110105194912310021", "name": "", "phone": "12345",
                                        "region_code": "33"}, headers=h)  # fmt: skip
    assert r.status_code == 422
    problem = r.json()
    assert problem["title"] == "提交的数据有误"
    fields = {e["field"]: e["detail"] for e in problem["errors"]}
    assert fields["id_number"] == "身份证号码校验位错误"
    assert set(fields) >= {"id_number", "name", "phone", "region_code"}
    r = c.post("/api/v1/enterprises", json={"credit_code": "91110000600037341M", "name": "某公司",
               "legal_rep_id_number": "11010519491231002X", "industry_code": "I65", "registered_capital_fen": 1,
               "established_on": "2020-13-45", "size_class": "small", "region_code": "330106"}, headers=h)  # fmt: skip
    fields = {e["field"] for e in r.json()["errors"]}
    assert r.status_code == 422 and {"credit_code", "established_on"} <= fields
    r = c.post("/api/v1/persons", content=b"{not json", headers={**h, "content-type": "application/json"})
    assert r.status_code == 422
    with transaction() as s:
        assert s.execute(text("SELECT count(*) FROM person")).scalar() == before


def test_injection_strings_are_stored_and_shown_as_text(as_user) -> None:
    c = as_user("clerk")
    evil = "<script>alert(1)</script>'; DROP TABLE person; --"
    body = {"id_number": "33010619850505002", "name": evil[:50], "region_code": "330106", "address": evil}
    body["id_number"] += codes.ric_check_digit(body["id_number"])
    r = c.post("/api/v1/persons", json=body, headers={"X-CSRF-Token": csrf_of(c)})
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert c.get(f"/api/v1/persons/{pid}").json()["address"] == evil
    page = c.get(f"/persons/{pid}")
    if page.status_code == 200:
        assert "<script>alert(1)</script>" not in page.text
    with transaction() as s:
        assert s.execute(text("SELECT count(*) FROM person")).scalar() > 0


def test_lookup_by_identity_number_uses_the_blind_index(as_user) -> None:
    citizen = as_user("citizen")
    me = citizen.get("/api/v1/me").json()
    own = citizen.get(f"/api/v1/persons/{me['person_id']}").json()
    clerk = as_user("clerk" if own["region_code"].startswith("330106") else "clerk2")
    r = clerk.get("/api/v1/persons", params={"id_number": own["id_number"]})
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["id"] == me["person_id"]
    r = clerk.get("/api/v1/persons", params={"id_number": "123"})
    assert r.status_code == 422


def test_the_database_alone_does_not_reveal_identity_numbers_or_phones(as_user) -> None:
    citizen = as_user("citizen")
    me = citizen.get("/api/v1/me").json()
    own = citizen.get(f"/api/v1/persons/{me['person_id']}").json()
    with transaction() as s:
        row = s.execute(text("SELECT * FROM person WHERE id = :i"), {"i": me["person_id"]}).mappings().one()
    dump = " ".join(str(v) for v in row.values())
    assert own["id_number"] not in dump and own["phone"] not in dump
    assert own["id_number"].encode() not in bytes(row["id_number_enc"])


def test_cursor_pagination_walks_the_staff_scope(as_user) -> None:
    c = as_user("clerk")
    first = c.get("/api/v1/persons", params={"limit": 5}).json()
    assert len(first["items"]) == 5 and first["next_cursor"]
    second = c.get("/api/v1/persons", params={"limit": 5, "cursor": first["next_cursor"]}).json()
    assert {p["id"] for p in first["items"]}.isdisjoint({p["id"] for p in second["items"]})
    assert all(p["region_code"].startswith("330106") for p in first["items"] + second["items"])
    assert c.get("/api/v1/persons", params={"cursor": "!!!"}).status_code == 422


def test_a_masked_view_cannot_be_recombined_into_the_identity_number(as_user) -> None:
    citizen = as_user("citizen")
    me = citizen.get("/api/v1/me").json()
    clear = citizen.get(f"/api/v1/persons/{me['person_id']}").json()
    clerk = as_user("clerk")
    masked = clerk.get(f"/api/v1/persons/{me['person_id']}").json()
    assert masked["birth_date"] == clear["birth_date"][:4] + "-**-**"
    assert clear["birth_date"].replace("-", "") not in masked["id_number"] + masked["birth_date"].replace(
        "-", ""
    )
