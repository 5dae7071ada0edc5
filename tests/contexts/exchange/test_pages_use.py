"""共享授权 › 查询: a consumer department's staff member looks a record up under an approved grant
from a page, through the same governed read as the API (grant, masking, usage log, audit)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text

from tests.conftest import csrf_of
from tests.contexts.exchange.helpers import MARRIAGE, grant_for, person_key
from yiwang.contexts.identity import actions as identity_actions
from yiwang.core.actor import Actor
from yiwang.core.db import transaction

CONSUMER, REGION = "330106-real_estate", "330106"  # 西湖区不动产登记中心, the demo's budongchan
FIELDS = ["id_number", "name", "marital_status", "spouse_name", "spouse_id_number"]


def _grant() -> int:
    return grant_for(CONSUMER, REGION, MARRIAGE, FIELDS, masked=["spouse_id_number"])


def _form(page: Any, grant_id: int, **values: Any) -> dict[str, Any]:
    html = page.get(f"/exchange/grants/{grant_id}/use").text
    nonce = re.search(r'name="nonce" value="([^"]+)"', html)
    assert nonce, html[:500]
    return {"csrf_token": csrf_of(page), "nonce": nonce.group(1), "fields": FIELDS, "purpose": "办理不动产转移登记",
            **values}  # fmt: skip


def _usage_rows(case_id: str) -> list[tuple[Any, ...]]:
    with transaction() as s:
        return [tuple(r) for r in s.execute(text(
            "SELECT status, end_user, purpose, operation, refusal FROM usage_log WHERE case_id = :c ORDER BY id"),
            {"c": case_id})]  # fmt: skip


def test_the_grants_page_offers_a_lookup_per_usable_grant(as_user: Any) -> None:
    grant_id = _grant()
    page = as_user("budongchan")
    html = page.get("/exchange/grants").text
    assert f'href="/exchange/grants/{grant_id}/use"' in html and ">查询</a>" in html
    form = page.get(f"/exchange/grants/{grant_id}/use").text
    assert "查询婚姻登记信息" in form and "公民身份号码" in form and "办件编号" in form
    assert "配偶身份号码" in form and "脱敏返回" in form
    assert "id_number" not in re.sub(r'(value|name|for|id)="[^"]*"', "", form)  # names only in attributes


def test_a_lookup_from_the_page_is_masked_logged_and_audited_per_person(as_user: Any) -> None:
    grant_id = _grant()
    key, person_id = person_key("src_marriage", REGION, "marital_status = '已婚'")
    page = as_user("budongchan")
    r = page.post(
        f"/exchange/grants/{grant_id}/use", data=_form(page, grant_id, key=key, case_id="BDC-PAGE-0001")
    )
    assert r.status_code == 200, r.text[:800]
    assert "已婚" in r.text and "********" in r.text and "已脱敏" in r.text
    assert key in r.text  # the identity number is granted in clear
    status, end_user, purpose, operation, refusal = _usage_rows("BDC-PAGE-0001")[0]
    assert (status, operation, purpose, refusal) == (200, "lookup", "办理不动产转移登记", None)
    assert end_user and end_user.startswith("西湖区不动产登记中心窗口")  # X-User: the staff member
    with transaction() as s:  # what the person sees on 我的数据
        uses = identity_actions.data_access_list(s, Actor(kind="user", id=0, person_id=person_id), person_id)
    use = next(u for u in uses if u["case_id"] == "BDC-PAGE-0001")
    assert use["action_label"] == "共享查询" and use["use"] == "read"
    assert use["masked_labels"] == ["配偶身份号码"] and "婚姻状况" in use["clear_labels"]


def test_bad_input_gets_a_chinese_field_error(as_user: Any) -> None:
    grant_id = _grant()
    key, _ = person_key("src_marriage", REGION, "marital_status = '已婚'")
    page = as_user("budongchan")
    r = page.post(f"/exchange/grants/{grant_id}/use", data=_form(page, grant_id, key=key, case_id=""))
    assert r.status_code == 422
    assert "请填写办件编号" in r.text and 'class="field has-error"' in r.text
    wrong = key[:-1] + ("0" if key[-1] != "0" else "1")
    r = page.post(
        f"/exchange/grants/{grant_id}/use", data=_form(page, grant_id, key=wrong, case_id="BDC-PAGE-0002")
    )
    assert r.status_code == 422
    assert re.search(r'id="key-error"[^>]*>[^<]*校验位', r.text), r.text[:2000]
    assert _usage_rows("BDC-PAGE-0002")[0][0] == 422  # refused, and the refusal is in the usage log
    r = page.post(f"/exchange/grants/{grant_id}/use", data=_form(page, grant_id, key=key, case_id="BDC-PAGE-0002",
                                                                  fields=[]))  # fmt: skip
    assert r.status_code == 422 and "请至少选择一个信息项" in r.text


def test_a_resubmitted_form_is_refused_as_a_replay(as_user: Any) -> None:
    grant_id = _grant()
    key, _ = person_key("src_marriage", REGION, "marital_status = '已婚'")
    page = as_user("budongchan")
    data = _form(page, grant_id, key=key, case_id="BDC-PAGE-0003")
    assert page.post(f"/exchange/grants/{grant_id}/use", data=data).status_code == 200
    again = page.post(f"/exchange/grants/{grant_id}/use", data=data)
    assert again.status_code == 409 and "重放" in again.text
    assert [row[0] for row in _usage_rows("BDC-PAGE-0003")] == [200, 409]


def test_only_the_holding_department_uses_a_grant_and_a_csrf_less_post_is_refused(as_user: Any) -> None:
    grant_id = _grant()
    assert as_user("minzheng").get(f"/exchange/grants/{grant_id}/use").status_code == 404
    page = as_user("budongchan")
    data = _form(page, grant_id, key="x", case_id="BDC-PAGE-0004")
    data.pop("csrf_token")
    assert page.post(f"/exchange/grants/{grant_id}/use", data=data).status_code == 403
    assert _usage_rows("BDC-PAGE-0004") == []
