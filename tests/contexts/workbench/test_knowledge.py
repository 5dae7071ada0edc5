"""The knowledge base: other systems load articles and search them (scope `knowledge`), each
change a new version with its audit record; Chinese search tolerant of citizens' wording,
typos and synonyms; imports from Markdown, text and JSONL."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import text

from yiwang.contexts.identity.actions_access import client_create
from yiwang.contexts.workbench import knowledge_import, knowledge_search
from yiwang.core.actor import SYSTEM, Actor
from yiwang.core.db import transaction

STAFF = Actor(kind="user", id=10_001, name="测试工作人员", roles=frozenset({"dept_staff"}))


def _bearer(client, scopes: list[str]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with transaction() as s:
        c, secret = client_create(s, SYSTEM, f"政策文件库{uuid.uuid4().hex[:6]}", scopes, "330100")
    r = client.post("/api/v1/oauth/token",
                    data={"grant_type": "client_credentials", "client_id": c.client_id, "client_secret": secret})  # fmt: skip
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _titles(q: str, limit: int = 5) -> list[str]:
    with transaction() as s:
        return [r.article.title for r in knowledge_search.article_search(s, STAFF, q, limit)]


def test_a_system_loads_a_policy_and_a_reworded_question_finds_it_with_a_highlighted_snippet(client) -> None:
    h = _bearer(client, ["knowledge"])
    ext = f"policy-{uuid.uuid4().hex[:8]}"
    article = {"external_id": ext, "title": "失业保险金申领办法",
               "body": "参加失业保险的职工非因本人意愿中断就业、已办理失业登记并有求职要求的，可以申领失业保险金。"
                       "申领人持身份证到社保经办机构或在网上申请，审核通过后按月发放。",
               "tags": ["失业", "社保"]}  # fmt: skip
    r = client.post("/api/v1/knowledge/articles", json=article, headers=h)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["version"] == 1 and created["created"] is True
    again = client.post("/api/v1/knowledge/articles", json=article, headers=h)
    assert again.status_code == 200 and again.json()["version"] == 1  # the same content: nothing new
    article["body"] += "失业保险金的标准不低于城市居民最低生活保障标准。"
    changed = client.post("/api/v1/knowledge/articles", json=article, headers=h)
    assert changed.status_code == 200 and changed.json()["version"] == 2
    assert changed.json()["id"] == created["id"]

    r = client.get(
        "/api/v1/knowledge/search", params={"q": "我被公司辞退了，能领失业金吗", "limit": 3}, headers=h
    )
    assert r.status_code == 200, r.text
    hits = r.json()
    assert hits[0]["external_id"] == ext and hits[0]["title"] == "失业保险金申领办法"
    assert set(hits[0]) >= {"id", "external_id", "title", "score", "snippet"}
    assert "<mark>失业</mark>" in hits[0]["snippet"]
    assert [x["score"] for x in hits] == sorted((x["score"] for x in hits), reverse=True)
    with transaction() as s:
        versions = s.execute(text("SELECT version FROM knowledge_article_version WHERE article_id = :i ORDER BY version"),
                             {"i": created["id"]}).scalars().all()  # fmt: skip
        audited = s.execute(text("SELECT count(*) FROM audit_record WHERE action = 'workbench.article_write' "
                                 "AND target_id = :i"), {"i": str(created["id"])}).scalar()  # fmt: skip
    assert versions == [1, 2] and audited == 2


def test_a_system_without_the_knowledge_scope_is_refused(client) -> None:
    h = _bearer(client, ["identity"])
    assert client.get("/api/v1/knowledge/search", params={"q": "户口"}, headers=h).status_code == 403
    r = client.post(
        "/api/v1/knowledge/articles", json={"external_id": "x-1", "title": "t", "body": "b"}, headers=h
    )
    assert r.status_code == 403


def test_bad_input_is_refused_field_by_field_in_chinese_and_changes_nothing(client) -> None:
    h = _bearer(client, ["knowledge"])
    with transaction() as s:
        before = s.execute(text("SELECT count(*) FROM knowledge_article")).scalar()
    r = client.post("/api/v1/knowledge/articles", headers=h, json={
        "external_id": "bad 1", "title": "", "body": "正文", "valid_from": "2026-05-01", "valid_until": "2026-01-01"})  # fmt: skip
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"]: e["detail"] for e in r.json()["errors"]}
    assert {"external_id", "title", "valid_until"} <= set(fields)
    assert fields["valid_until"] == "失效日期不能早于生效日期"
    unknown = client.post("/api/v1/knowledge/articles", headers=h,
                          json={"external_id": "d-1", "title": "标题", "body": "正文", "department": "nowhere"})  # fmt: skip
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "department"
    too_long = client.get("/api/v1/knowledge/search", params={"q": "问" * 2001}, headers=h)
    assert too_long.status_code == 422
    assert client.get("/api/v1/knowledge/articles/0", headers=h).status_code == 422
    with transaction() as s:
        assert s.execute(text("SELECT count(*) FROM knowledge_article")).scalar() == before


def test_citizens_words_typos_and_synonyms_find_the_demo_guides() -> None:
    assert _titles("宝宝刚生下来，医院要开什么证明")[0] == "出生医学证明办理指南"
    assert _titles("出生医学证名怎么补办")[0] == "出生医学证明办理指南"  # a typo
    assert _titles("小孩怎么上户口")[0] == "新生儿户口登记（出生落户）"  # 小孩 -> 新生儿, 户口 -> 户籍
    assert _titles("外地人在本市住了半年，要办什么证")[0] == "居住证办理"
    assert "住房公积金提取" in _titles("租房子能不能取公积金", 3)


def test_each_hotline_answer_is_found_by_its_own_message() -> None:
    rows = [json.loads(line) for line in knowledge_import.Path(knowledge_import.__file__).parent.joinpath(
        "demo_data", "hotline_answers.jsonl").read_text(encoding="utf-8").splitlines()][:10]  # fmt: skip
    with transaction() as s:
        found = [knowledge_search.rank(s, r["subject"], 5)[0].article.external_id for r in rows]
    assert sum(f == f"hotline-{r['id']}" for f, r in zip(found, rows, strict=True)) >= 8


def test_an_expired_article_is_left_out_for_citizens_and_shown_to_staff(client) -> None:
    h = _bearer(client, ["knowledge"])
    r = client.post("/api/v1/knowledge/articles", headers=h, json={
        "external_id": f"old-{uuid.uuid4().hex[:6]}", "title": "二〇一九年度独生子女奖励金发放通知",
        "body": "独生子女父母奖励金按年度发放。", "valid_until": "2020-01-01"})  # fmt: skip
    assert r.status_code == 201, r.text
    api = client.get("/api/v1/knowledge/search", params={"q": "独生子女奖励金"}, headers=h).json()
    assert r.json()["id"] not in [x["id"] for x in api]
    with transaction() as s:
        staff = knowledge_search.article_search(s, STAFF, "独生子女奖励金", 5, valid_only=False)
    assert staff[0].article.id == r.json()["id"]


def test_import_reads_markdown_text_and_jsonl_and_again_changes_nothing(tmp_path) -> None:
    md = tmp_path / "政策.md"
    md.write_text("# 残疾人两项补贴\n类别：政策文件\n标签：残疾人 补贴\n困难残疾人生活补贴和重度残疾人护理补贴，向户籍地街道申请。\n\n"
                  "# 高龄津贴\n年满八十周岁的老年人按月领取高龄津贴。\n", encoding="utf-8")  # fmt: skip
    txt = tmp_path / "guide-open-shop.txt"
    txt.write_text("开办餐饮店须知\n开办餐饮店须办理营业执照和食品经营许可证。\n", encoding="utf-8")
    jl = tmp_path / "replies.jsonl"
    jl.write_text(json.dumps({"id": "t-9", "subject": "小区路灯不亮", "reply": "经核实，路灯已于本周修复。"},
                             ensure_ascii=False) + "\n", encoding="utf-8")  # fmt: skip
    items = [a for f in (md, txt, jl) for a in knowledge_import.read(f)]
    assert [(a.external_id, a.kind) for a in items] == [("政策-1", "policy"), ("政策-2", "policy"),
                                                        ("guide-open-shop", "policy"), ("hotline-t-9", "answer")]  # fmt: skip
    assert items[0].tags == ["残疾人", "补贴"] and items[0].body.startswith("困难残疾人")
    with transaction() as s:
        first = knowledge_import.article_import(s, SYSTEM, items)
    with transaction() as s:
        second = knowledge_import.article_import(s, SYSTEM, items)
    assert (first.created, second.created, second.updated, second.unchanged) == (4, 0, 0, 4)
    assert _titles("八十岁老人有什么补贴", 3)[0] == "高龄津贴"


def test_a_broken_import_file_names_its_line(tmp_path) -> None:
    import pytest

    from yiwang.core.errors import ValidationFailed

    jl = tmp_path / "broken.jsonl"
    jl.write_text('{"external_id": "ok-1", "title": "标题", "body": "正文"}\n{"external_id": "no-title", "body": "x"}\n',
                  encoding="utf-8")  # fmt: skip
    with pytest.raises(ValidationFailed) as exc:
        knowledge_import.read(jl)
    assert exc.value.detail.startswith("第 2 行") and exc.value.errors[0].field == "title"
    with pytest.raises(ValidationFailed):
        knowledge_import.read(tmp_path / "none.jsonl")
