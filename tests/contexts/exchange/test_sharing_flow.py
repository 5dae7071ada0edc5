"""The story of the issue: 西湖区不动产登记中心 asks 杭州市民政局 for marriage records, the
provider approves with the spouse's number masked, the consumer's system reads them, and the
citizen sees the use on their own page."""

from __future__ import annotations

from urllib.parse import quote

from tests.conftest import csrf_of
from tests.contexts.exchange.helpers import MARRIAGE, headers, token_for

FIELDS = ["id_number", "name", "marital_status", "spouse_name", "spouse_id_number", "registered_on"]


def test_request_approve_read_masked_and_the_citizen_sees_it(as_user, client) -> None:
    consumer = as_user("budongchan")
    r = consumer.post("/api/v1/exchange/requests", headers={"X-CSRF-Token": csrf_of(consumer)}, json={
        "resource_code": MARRIAGE, "fields": FIELDS, "purpose": "办理不动产转移登记时核验婚姻状况",
        "legal_basis": "《不动产登记暂行条例实施细则》第十条", "valid_to": "2027-12-31", "daily_quota": 500,
    })  # fmt: skip
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["status"] == "pending" and req["due_at"] and req["row_scope"] == "330106"

    provider = as_user("minzheng")
    incoming = provider.get("/api/v1/exchange/requests", params={"direction": "incoming"}).json()
    assert req["id"] in [i["id"] for i in incoming]
    outsider = as_user("staff")  # 西湖区民政局: not the provider
    denied = outsider.post(f"/api/v1/exchange/requests/{req['id']}/approve", json={},
                           headers={"X-CSRF-Token": csrf_of(outsider)})  # fmt: skip
    assert denied.status_code == 403
    r = provider.post(f"/api/v1/exchange/requests/{req['id']}/approve", json={"masked_fields": ["spouse_id_number"]},
                      headers={"X-CSRF-Token": csrf_of(provider)})  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved" and r.json()["grant_id"]

    citizen = as_user("citizen")
    me = citizen.get("/api/v1/me").json()
    own = citizen.get(f"/api/v1/persons/{me['person_id']}").json()

    token = token_for(client, "330106-real_estate", "330106")
    r = client.get(f"/api/v1/exchange/resources/{MARRIAGE}/records/{own['id_number']}",
                   headers=headers(token, case="BDC-2026-000123", user="窗口人员 李四"))  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    record = body["records"][0]
    assert set(record) == set(FIELDS)
    assert record["id_number"] == own["id_number"] and record["marital_status"] == "已婚"
    assert "********" in record["spouse_id_number"]
    assert body["masked"] == ["spouse_id_number"]

    uses = citizen.get("/api/v1/me/data-access").json()
    use = next(u for u in uses if u["action"] == "exchange.record_lookup")
    assert use["on_behalf_of"] == "窗口人员 李四"
    assert "marital_status" in use["fields"]
    assert "办理不动产转移登记时核验婚姻状况" in (use["purpose"] or "") or use["purpose"] == "不动产登记"
    page = citizen.get("/me").text
    assert "共享查询" in page and "婚姻状况" in page and "BDC-2026-000123" in page and "婚姻登记信息" in page


def test_refusal_needs_a_reason_and_none_share_type_is_refused_with_its_basis(as_user) -> None:
    consumer = as_user("budongchan")
    h = {"X-CSRF-Token": csrf_of(consumer)}
    r = consumer.post("/api/v1/exchange/requests", headers=h, json={
        "resource_code": "330100-BDC-0001", "fields": ["owner_name"], "purpose": "测试不予共享的资源",
        "legal_basis": "无", "valid_to": "2027-01-01"})  # fmt: skip
    assert r.status_code == 422  # legal basis too short
    r = consumer.post("/api/v1/exchange/requests", headers=h, json={
        "resource_code": "330100-BDC-0001", "fields": ["owner_name"], "purpose": "测试不予共享的资源",
        "legal_basis": "内部测试依据", "valid_to": "2027-01-01"})  # fmt: skip
    assert r.status_code == 201
    assert r.json()["status"] == "refused" and "不动产登记暂行条例" in r.json()["decision_reason"]

    r = consumer.post("/api/v1/exchange/requests", headers=h, json={
        "resource_code": MARRIAGE, "fields": ["name"], "purpose": "测试拒绝理由", "legal_basis": "测试依据条款",
        "valid_to": "2027-01-01"})  # fmt: skip
    rid = r.json()["id"]
    provider = as_user("minzheng")
    ph = {"X-CSRF-Token": csrf_of(provider)}
    assert provider.post(f"/api/v1/exchange/requests/{rid}/refuse", json={}, headers=ph).status_code == 422
    r = provider.post(
        f"/api/v1/exchange/requests/{rid}/refuse", json={"reason": "用途与所申请信息项不相称"}, headers=ph
    )
    assert r.status_code == 200 and r.json()["status"] == "refused"
    # decided already: the request has moved on (409, as for a stale form), it cannot be approved now
    again = provider.post(f"/api/v1/exchange/requests/{rid}/approve", json={}, headers=ph)
    assert again.status_code == 409 and "已拒绝" in again.json()["detail"]


def test_unconditional_resources_are_granted_at_once(as_user) -> None:
    consumer = as_user("budongchan")
    r = consumer.post("/api/v1/exchange/requests", headers={"X-CSRF-Token": csrf_of(consumer)}, json={
        "resource_code": "330100-SJ-0001", "fields": ["credit_code", "name", "status"], "purpose": "核验企业登记状态",
        "legal_basis": "《企业信息公示暂行条例》", "valid_to": "2027-01-01"})  # fmt: skip
    assert r.status_code == 201 and r.json()["status"] == "approved" and r.json()["grant_id"]


def test_unknown_fields_and_foreign_scope_are_refused_when_requesting(as_user) -> None:
    consumer = as_user("budongchan")
    h = {"X-CSRF-Token": csrf_of(consumer)}
    r = consumer.post("/api/v1/exchange/requests", headers=h, json={
        "resource_code": MARRIAGE, "fields": ["name", "salary"], "purpose": "测试未知字段", "legal_basis": "测试依据条款",
        "valid_to": "2027-01-01"})  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "fields"
    r = consumer.post("/api/v1/exchange/requests", headers=h, json={
        "resource_code": MARRIAGE, "fields": ["name"], "purpose": "测试越界范围", "legal_basis": "测试依据条款",
        "row_scope": "330102", "valid_to": "2027-01-01"})  # fmt: skip
    assert r.status_code == 403


def test_headers_are_required_for_every_use(client) -> None:
    token = token_for(client, "330106-real_estate", "330106")
    r = client.get(f"/api/v1/exchange/resources/{MARRIAGE}/records/11010519491231002X",
                   headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"X-User", "X-Case-Id", "X-Request-Nonce"} <= fields
    h = headers(token)
    h["X-Purpose"] = quote("测试")
    assert client.get("/api/v1/exchange/resources/NOPE/records/1", headers=h).status_code == 404
