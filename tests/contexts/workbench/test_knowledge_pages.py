"""Knowledge pages over HTTP: who sees what, a bad edit refused field by field with nothing
changed, 智能咨询 open to anyone, its hand-off when nothing fits."""

from __future__ import annotations

from sqlalchemy import text

from tests.conftest import csrf_of
from yiwang.core.db import transaction


def _guide_id(title: str) -> int:
    with transaction() as s:
        return int(
            s.execute(text("SELECT id FROM knowledge_article WHERE title = :t"), {"t": title}).scalar_one()
        )


def test_citizens_ask_but_do_not_browse_the_staff_knowledge_base(as_user) -> None:
    citizen = as_user("citizen")
    assert citizen.get("/workbench/knowledge").status_code == 403
    r = citizen.get("/consult", params={"q": "结婚登记要带什么材料"})
    assert r.status_code == 200
    assert "出自：婚姻登记（结婚登记）" in r.text and "<mark>" in r.text
    assert "/workbench/knowledge" not in r.text  # no link into the staff pages


def test_anyone_may_ask_and_a_question_nothing_answers_offers_12345(client) -> None:
    r = client.get("/consult", params={"q": "火星移民签证办理"})
    assert r.status_code == 200
    assert (
        "以上内容可能没有完全回答您的问题" in r.text
        and "可能相关的内容" in r.text
        and 'href="tel:12345"' in r.text
    )
    fragment = client.get("/consult", params={"q": "公积金怎么取"}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "住房公积金提取" in fragment.text


def test_a_bad_edit_is_refused_in_chinese_and_changes_nothing(as_user) -> None:
    staff = as_user("staff")
    article = _guide_id("最低生活保障申请")
    before = staff.get(f"/workbench/knowledge/{article}").text.count('<tr><td data-label="版本">')
    r = staff.post("/workbench/knowledge/save", data={
        "csrf_token": csrf_of(staff, f"/workbench/knowledge/{article}/edit"), "article_id": str(article),
        "title": "", "body": "正文", "kind": "policy", "valid_from": "2026-06-01", "valid_until": "2026-01-01"})  # fmt: skip
    assert r.status_code == 422
    assert "失效日期不能早于生效日期" in r.text and 'id="err-title">内容过短' in r.text
    after = staff.get(f"/workbench/knowledge/{article}").text
    assert after.count('<tr><td data-label="版本">') == before and "<h1>最低生活保障申请</h1>" in after


def test_staff_save_a_new_article_and_find_it(as_user) -> None:
    staff = as_user("staff")
    r = staff.post("/workbench/knowledge/save", data={
        "csrf_token": csrf_of(staff, "/workbench/knowledge/new"), "title": "电动自行车上牌登记",
        "body": "购买符合国家标准的电动自行车后，车主持身份证、购车发票和合格证到公安交警部门登记上牌。",
        "kind": "guide", "tags": "电动车 上牌", "department": ""}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text[:500]
    page = staff.get(r.headers["location"])
    assert "<h1>电动自行车上牌登记</h1>" in page.text and "第 1 版" in page.text
    found = staff.get("/workbench/knowledge", params={"q": "电瓶车怎么上牌照"})
    assert "电动自行车上牌登记" in found.text.split('id="kb-hits"')[1].split("</li>")[0]
