"""12345 work orders through the API: an operator accepts a call and dispatches it to the
routed department; its staff find it in the one to-do list, return it once (退单), sign,
ask for 延期 (granted), reply; the follow-up is unsatisfied and it reopens at the same person;
the second reply is accepted and it closes. Every step audited and announced; bad input is
422 with field-keyed Chinese errors and changes nothing; strangers are refused."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tests.conftest import csrf_of
from tests.workflow_helpers import make_overdue
from yiwang.contexts.workbench import hotline_repository as repo
from yiwang.contexts.workbench.hotline_models import HotlineOrder
from yiwang.core.audit import AuditRecord
from yiwang.core.db import transaction
from yiwang.core.events import OutboxEvent

WAGES = {
    "channel": "phone", "caller_name": "王先生", "contact": "13805710001", "region_code": "330106",
    "location": "西湖区文三路", "subject": "公司拖欠三个月工资不发", "urgency": "normal",
    "body": "我在西湖区一家装修公司上班，公司已经拖欠我们十几个工人三个月工资，老板一直推脱，请劳动监察部门帮助追讨。",
    "level1": "劳动和社会保障", "level2": "劳动关系", "level3": "劳动合同",
}  # fmt: skip


def _post(c: Any, path: str, body: dict[str, Any]) -> Any:
    return c.post(path, headers={"X-CSRF-Token": csrf_of(c)}, json=body)


def _leaf(level1: str) -> tuple[str, str]:
    with transaction() as s:
        leaf = next(c for c in repo.categories(s) if c.level1 == level1)
        return leaf.level2, leaf.level3


def _audits(order_id: int) -> list[str]:
    with transaction() as s:
        q = select(AuditRecord.action).where(AuditRecord.target_type == "hotline_order",
                                             AuditRecord.target_id == str(order_id)).order_by(AuditRecord.id)  # fmt: skip
        return list(s.scalars(q))


def _events(order_id: int) -> list[str]:
    with transaction() as s:
        q = (
            select(OutboxEvent.type)
            .where(OutboxEvent.subject == f"order/{order_id}")
            .order_by(OutboxEvent.id)
        )
        return list(s.scalars(q))


def _todo_has(c: Any, order_id: int) -> bool:
    return f'href="/workbench/hotline/orders/{order_id}"' in c.get("/workbench/tasks").text


def test_the_whole_life_of_an_order_on_the_engine(as_user: Any) -> None:
    operator, handler = as_user("rexian"), as_user("renshe")
    l2, l3 = _leaf("劳动和社会保障")
    r = _post(operator, "/api/v1/hotline/orders", {**WAGES, "level2": l2, "level3": l3, "dispatch": True})
    assert r.status_code == 201, r.text
    o = r.json()
    oid = o["id"]
    assert o["status"] == "dispatched" and o["department"] == "西湖区人力资源和社会保障局", o
    assert o["due_at"] and o["state_label"] == "待签收"
    assert _todo_has(handler, oid)

    r = _post(handler, f"/api/v1/hotline/orders/{oid}/return", {"reason": "x"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason", r.text
    r = _post(handler, f"/api/v1/hotline/orders/{oid}/return", {"reason": "欠薪属于劳动监察大队，请改派"})
    assert r.status_code == 200 and r.json()["status"] == "accepted", r.text
    assert not _todo_has(handler, oid) and _todo_has(operator, oid)

    r = _post(operator, f"/api/v1/hotline/orders/{oid}/dispatch", {"revision": r.json()["revision"]})
    assert r.status_code == 200 and r.json()["status"] == "dispatched", r.text
    stale = _post(operator, f"/api/v1/hotline/orders/{oid}/sign", {"revision": 0})
    assert stale.status_code in (403, 409), (
        stale.text
    )  # the operator may not sign; a stale form is 409 anyway
    assert _post(handler, f"/api/v1/hotline/orders/{oid}/sign", {}).json()["status"] == "handling"

    due = _post(
        handler, f"/api/v1/hotline/orders/{oid}/extension", {"reason": "需协调劳动监察大队现场核查"}
    ).json()
    assert due["status"] == "extension" and due["state_label"] == "延期审批中"
    before = due["due_at"]
    granted = _post(operator, f"/api/v1/hotline/orders/{oid}/extension/approve", {}).json()
    assert granted["status"] == "handling" and granted["due_at"] > before

    r = _post(
        handler, f"/api/v1/hotline/orders/{oid}/reply", {"reply": "经核查，已责令公司于本月底前结清工资。"}
    )
    assert (
        r.status_code == 200 and r.json()["status"] == "follow_up" and r.json()["reply"].startswith("经核查")
    )
    r = _post(operator, f"/api/v1/hotline/orders/{oid}/unsatisfied", {"reason": "市民表示工资仍未到账"})
    assert r.status_code == 200 and r.json()["status"] == "handling" and r.json()["reopened"] == 1, r.text
    assert _todo_has(handler, oid)  # back with the person who handled it
    _post(handler, f"/api/v1/hotline/orders/{oid}/reply", {"reply": "工资已于今日全部发放到位。"})
    closed = _post(operator, f"/api/v1/hotline/orders/{oid}/satisfied", {}).json()
    assert closed["status"] == "closed" and closed["satisfaction"] == "satisfied" and closed["due_at"] is None

    assert _audits(oid) == ["workbench.order_create", "workbench.order_dispatch", "workbench.order_return",
                            "workbench.order_dispatch", "workbench.order_sign", "workbench.order_request_extension",
                            "workbench.order_approve_extension", "workbench.order_reply", "workbench.order_unsatisfied",
                            "workbench.order_reply", "workbench.order_satisfied"]  # fmt: skip
    assert _events(oid) == [f"yiwang.workbench.order.{v}" for v in (
        "created", "dispatch", "returned", "dispatch", "signed", "extension_requested", "extension_approved",
        "replied", "reopened", "replied", "closed")]  # fmt: skip


def test_bad_intake_is_422_field_keyed_in_chinese_and_changes_nothing(as_user: Any) -> None:
    operator = as_user("rexian")
    with transaction() as s:
        before = s.scalar(select(func.count()).select_from(HotlineOrder))
    for body, field in (
        ({**WAGES, "level3": "没有这个分类"}, "level3"),
        ({**WAGES, "subject": ""}, "subject"),
        ({**WAGES, "region_code": "33"}, "region_code"),
        ({**WAGES, "caller_name": None, "contact": None}, "contact"),
        ({**WAGES, "department_id": 2**31 - 1}, "department_id"),
    ):
        r = _post(operator, "/api/v1/hotline/orders", body)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        errors = r.json()["errors"]
        assert any(e["field"] == field for e in errors), errors
        assert all(not any(ch.isascii() and ch.isalpha() for ch in e["detail"]) for e in errors), errors
    with transaction() as s:
        assert s.scalar(select(func.count()).select_from(HotlineOrder)) == before
    assert operator.get("/api/v1/hotline/orders/0").status_code == 422
    assert operator.get(f"/api/v1/hotline/orders/{2**63}").status_code == 422


def test_only_the_centre_takes_calls_and_strangers_cannot_read_an_order(as_user: Any) -> None:
    r = _post(as_user("staff"), "/api/v1/hotline/orders", WAGES)  # 民政局: not the hotline centre
    assert r.status_code == 403 and "12345" in r.json()["detail"]
    operator = as_user("rexian")
    l2, l3 = _leaf("劳动和社会保障")
    oid = _post(operator, "/api/v1/hotline/orders", {**WAGES, "level2": l2, "level3": l3}).json()["id"]
    assert as_user("citizen").get(f"/api/v1/hotline/orders/{oid}").status_code == 403
    assert as_user("minzheng").get(f"/api/v1/hotline/orders/{oid}").status_code == 403
    assert as_user("leader").get(f"/api/v1/hotline/orders/{oid}").status_code == 200
    r = _post(as_user("renshe"), f"/api/v1/hotline/orders/{oid}/sign", {})  # not dispatched yet
    assert r.status_code in (403, 409)


def test_a_repeated_message_is_offered_for_merge_and_joins_the_open_order(as_user: Any) -> None:
    operator = as_user("rexian")
    body = {**WAGES, "subject": "西溪路路灯不亮，晚上行人看不清", "location": "西湖区西溪路", "level1": "城乡建设",
            "level2": "城市建设和市政管理", "level3": "城市公共设施", "body": "西溪路一段路灯连续一周不亮，夜间非常危险。"}  # fmt: skip
    first = _post(operator, "/api/v1/hotline/orders", body).json()
    assert first["city_problem"] is True
    assert "yiwang.workbench.order.city_problem_reported" in _events(first["id"])
    s = operator.get("/api/v1/hotline/suggestions", params={
        "region_code": "330106", "subject": "西溪路的路灯坏了不亮", "location": "西溪路", "body": ""}).json()  # fmt: skip
    assert [d["id"] for d in s["duplicates"]][:1] == [first["id"]], s["duplicates"]
    elsewhere = operator.get("/api/v1/hotline/suggestions", params={
        "region_code": "330108", "subject": "西溪路的路灯坏了不亮", "location": "西溪路"}).json()  # fmt: skip
    assert first["id"] not in [d["id"] for d in elsewhere["duplicates"]]
    r = _post(
        operator, f"/api/v1/hotline/orders/{first['id']}/merge", {**body, "subject": "西溪路的路灯坏了不亮"}
    )
    assert r.status_code == 201 and r.json()["merged_into_id"] == first["id"] and r.json()["case_id"] is None
    assert operator.get(f"/api/v1/hotline/orders/{first['id']}").json()["merged"] == 1


def test_similar_past_cases_come_with_their_official_replies(as_user: Any) -> None:
    s = as_user("rexian").get("/api/v1/hotline/suggestions", params={
        "region_code": "330106", "subject": "小区物业不作为，电梯经常故障", "body": "物业公司收了物业费却不维修电梯"}).json()  # fmt: skip
    assert s["similar"], s
    assert all(p["reply"] for p in s["similar"])
    assert any("物业" in p["subject"] or "电梯" in p["subject"] for p in s["similar"]), [
        p["subject"] for p in s["similar"]
    ]


def test_an_overdue_order_is_marked_and_reaches_the_centres_leaders(as_user: Any) -> None:
    operator = as_user("rexian")
    l2, l3 = _leaf("劳动和社会保障")
    o = _post(operator, "/api/v1/hotline/orders", {**WAGES, "level2": l2, "level3": l3, "dispatch": True,
                                                  "urgency": "critical"}).json()  # fmt: skip
    assert o["urgency"] == "critical"
    make_overdue("hotline_order", o["id"])
    after = operator.get(f"/api/v1/hotline/orders/{o['id']}").json()
    assert after["overdue"] is True
    assert "yiwang.workbench.order.overdue" in _events(o["id"])
    assert "yiwang.workbench.order.escalated" in _events(o["id"])


def test_hot_topics_rank_clusters_of_recent_messages_by_place_and_topic(as_user: Any) -> None:
    topics = as_user("leader").get("/api/v1/hotline/hot-topics").json()
    assert topics and topics[0]["rank"] == 1
    counts = [t["count"] for t in topics]
    assert counts == sorted(counts, reverse=True) and counts[0] >= 3
    assert any("物业" in t["words"] for t in topics), topics
    assert as_user("citizen").get("/api/v1/hotline/hot-topics").status_code == 403


def test_classify_gives_first_level_classes_best_first_and_the_routed_department(as_user: Any) -> None:
    operator = as_user("rexian")
    r = _post(operator, "/api/v1/hotline/classify", {"subject": WAGES["subject"], "body": WAGES["body"]})
    assert r.status_code == 200, r.text
    out = r.json()
    names = [c["name"] for c in out["categories"]]
    confidences = [c["confidence"] for c in out["categories"]]
    assert names[0] == "劳动和社会保障" and confidences == sorted(confidences, reverse=True)
    assert out["department"] == "西湖区人力资源和社会保障局"  # the operator's district, by the routing table
    r = _post(operator, "/api/v1/hotline/classify", {"subject": "滨江区一小学门口交通拥堵", "body": "上下学时段校门口车辆乱停，孩子过马路很危险",
                                                     "region_code": "330108"})  # fmt: skip
    assert r.json()["department"].startswith("滨江区"), r.json()
    bad = _post(operator, "/api/v1/hotline/classify", {"subject": "", "body": "x" * 5001})
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"subject", "body"}
    assert _post(as_user("citizen"), "/api/v1/hotline/classify", {"subject": "路灯不亮"}).status_code == 403


def test_routing_takes_the_most_specific_rule_and_falls_back() -> None:
    from yiwang.contexts.workbench.hotline_policies import Rule, route

    rules = [Rule("城乡建设", "", "housing"), Rule("城乡建设/城市建设和市政管理", "", "urban_management"),
             Rule("城乡建设/住房保障与房地产", "330108", "real_estate"), Rule("*", "", "government_service")]  # fmt: skip
    assert route(rules, "城乡建设", "城市建设和市政管理", "330106").department_kind == "urban_management"
    assert route(rules, "城乡建设", "住房保障与房地产", "330106").department_kind == "housing"
    assert route(rules, "城乡建设", "住房保障与房地产", "330108").department_kind == "real_estate"
    assert route(rules, "城乡建设", "", "330106").department_kind == "housing"
    assert route(rules, "卫生计生", "医政监管", "330106").department_kind == "government_service"
    assert route(rules[:3], "卫生计生", "", "330106") is None


def test_the_hotline_pages_answer_whom_they_should(as_user: Any) -> None:
    operator = as_user("rexian")
    page = operator.get("/workbench/hotline?status=accepted")
    assert page.status_code == 200 and "待派单" in page.text and "/workbench/hotline/orders/" in page.text
    assert operator.get("/workbench/hotline/new").status_code == 200
    tree = operator.get("/workbench/hotline/tree", params={"level1": "民政"})
    assert tree.status_code == 200 and "社会救助" in tree.text
    assert as_user("staff").get("/workbench/hotline/new").status_code == 403
    leader = as_user("leader")
    topics = leader.get("/workbench/hotline/topics?days=7")
    assert topics.status_code == 200 and 'id="hl-topics-chart"' in topics.text
    assert as_user("citizen").get("/workbench/hotline/topics").status_code == 403


def test_the_demo_seed_is_idempotent() -> None:
    from yiwang.contexts.workbench.hotline_seed import seed_hotline

    assert set(seed_hotline().values()) == {0}
    with transaction() as s:
        assert len(repo.categories(s)) == 517 and repo.past_case_count(s) == 352
