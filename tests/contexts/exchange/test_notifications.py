"""Who hears what about a sharing request: the provider's staff that one waits for them, the
requester of a 补正 and of the decision, in the app and by email (recorded as not sent while no
mail server is configured)."""

from __future__ import annotations

from typing import Any

from tests.conftest import csrf_of
from tests.contexts.exchange.helpers import MARRIAGE


def _titles(client: Any) -> list[str]:
    return [m["title"] for m in client.get("/api/v1/notifications").json()["items"]]


def test_the_provider_hears_of_a_waiting_request_and_the_requester_of_supplement_and_decision(
    as_user,
) -> None:
    consumer, provider = as_user("budongchan"), as_user("minzheng")
    r = consumer.post("/api/v1/exchange/requests", headers={"X-CSRF-Token": csrf_of(consumer)}, json={
        "resource_code": MARRIAGE, "fields": ["id_number", "marital_status"], "purpose": "通知测试：核验婚姻状况",
        "legal_basis": "《不动产登记暂行条例实施细则》第十条", "valid_to": "2027-12-31"})  # fmt: skip
    rid = r.json()["id"]
    assert "共享申请待审批：婚姻登记信息" in _titles(provider)
    ph, ch = {"X-CSRF-Token": csrf_of(provider)}, {"X-CSRF-Token": csrf_of(consumer)}
    assert provider.post(f"/api/v1/exchange/requests/{rid}/request-supplement", headers=ph,
                         json={"reason": "请补充具体条款"}).status_code == 200  # fmt: skip
    assert "共享申请需要补正：婚姻登记信息" in _titles(consumer)
    assert consumer.post(f"/api/v1/exchange/requests/{rid}/supplement", headers=ch,
                         json={"comment": "已补充第十条第二款"}).status_code == 200  # fmt: skip
    assert "共享申请已补正，请继续审批：婚姻登记信息" in _titles(provider)
    assert provider.post(f"/api/v1/exchange/requests/{rid}/approve", headers=ph, json={}).status_code == 200
    mine = consumer.get("/api/v1/notifications").json()["items"]
    approved = next(m for m in mine if m["title"] == "共享申请已同意：婚姻登记信息")
    assert approved["link"] == f"/exchange/requests/{rid}" and "杭州市民政局已同意" in approved["body"]
    assert {d["channel"] for d in approved["deliveries"]} == {"in_app", "email"}


def test_a_request_the_system_decides_at_once_tells_the_requester_only(as_user) -> None:
    consumer, provider = as_user("budongchan"), as_user("s0006")  # 杭州市市场监管局 provides 企业登记信息
    before = _titles(provider)
    r = consumer.post("/api/v1/exchange/requests", headers={"X-CSRF-Token": csrf_of(consumer)}, json={
        "resource_code": "330100-SJ-0001", "fields": ["credit_code", "name"], "purpose": "通知测试：核验企业登记",
        "legal_basis": "《企业信息公示暂行条例》", "valid_to": "2027-12-31"})  # fmt: skip
    assert r.json()["status"] == "approved"
    assert _titles(provider) == before  # nothing waits for them
    assert "共享申请已同意：企业登记信息" in _titles(consumer)
