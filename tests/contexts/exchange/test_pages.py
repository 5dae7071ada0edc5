"""The exchange pages: the new-request form, approving and refusing through forms, grants,
the sharing monitor and its JSON, the 谁在使用 fragment, and escaping of what people typed."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text

from tests.conftest import csrf_of
from tests.contexts.exchange.helpers import (
    HOUSEHOLD,
    MARRIAGE,
    district_officer,
    headers,
    person_key,
    token_for,
)
from tests.workflow_helpers import make_overdue
from yiwang.core.db import transaction

FIELDS = ["id_number", "name", "marital_status", "spouse_name", "spouse_id_number"]


def _request(
    consumer: Any, purpose: str = "办理不动产转移登记时核验婚姻状况", fields: list[str] | None = None
) -> int:
    r = consumer.post("/api/v1/exchange/requests", headers={"X-CSRF-Token": csrf_of(consumer)}, json={
        "resource_code": MARRIAGE, "fields": fields or FIELDS, "purpose": purpose,
        "legal_basis": "《不动产登记暂行条例实施细则》第十条", "valid_to": "2027-12-31", "daily_quota": 500,
    })  # fmt: skip
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _count_requests() -> int:
    with transaction() as s:
        return int(s.execute(text("SELECT count(*) FROM sharing_request")).scalar_one())


def _form(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"resource_code": MARRIAGE, "fields": FIELDS, "purpose": "办理不动产转移登记时核验婚姻状况",
                            "legal_basis": "《不动产登记暂行条例实施细则》第十条", "row_scope": "",
                            "valid_from": "", "valid_to": "2027-12-31", "daily_quota": "500"}  # fmt: skip
    data.update(over)
    return data


def _error_of(html: str, name: str) -> str:
    m = re.search(rf'<p class="field-error" id="{name}-error" role="alert">([^<]*)</p>', html)
    return m.group(1) if m else ""


def test_the_form_lists_resources_and_the_fields_of_the_chosen_one(as_user) -> None:
    consumer = as_user("budongchan")
    page = consumer.get(f"/exchange/requests/new?resource={MARRIAGE}")
    assert page.status_code == 200
    assert f'<option value="{MARRIAGE}" selected>' in page.text
    for name in FIELDS:
        assert f'name="fields" value="{name}"' in page.text
    assert "配偶身份号码" in page.text and "高度敏感" in page.text
    assert 'placeholder="330106"' in page.text  # the row scope defaults to the department's district
    fragment = consumer.get("/exchange/requests/new/fields", params={"resource_code": HOUSEHOLD})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'name="fields"' in fragment.text
    assert fragment.headers["HX-Replace-Url"] == f"/exchange/requests/new?resource={HOUSEHOLD}"


def test_a_missing_purpose_shows_the_error_in_chinese_and_creates_nothing(as_user) -> None:
    consumer = as_user("budongchan")
    token = csrf_of(consumer, "/exchange/requests/new")
    before = _count_requests()
    r = consumer.post("/exchange/requests/new", data={**_form(purpose=""), "csrf_token": token})
    assert r.status_code == 422
    assert _error_of(r.text, "purpose") == "此项为必填项"
    assert "《不动产登记暂行条例实施细则》第十条" in r.text  # what was typed stays in the form
    assert 'value="spouse_id_number" checked' in r.text
    r = consumer.post("/exchange/requests/new", data={**_form(purpose="核验", fields=[], valid_to="x"),
                                                      "csrf_token": token})  # fmt: skip
    assert r.status_code == 422
    assert _error_of(r.text, "purpose") == "至少填写 4 个字"
    assert "请至少选择一个信息项" in r.text
    assert _error_of(r.text, "valid_to") == "日期格式应为 YYYY-MM-DD"
    r = consumer.post("/exchange/requests/new", data={**_form(row_scope="330102"), "csrf_token": token})
    assert r.status_code == 422 and _error_of(r.text, "row_scope") == "申请的数据范围超出本部门管辖区域"
    assert _count_requests() == before


def test_submitting_the_form_creates_a_pending_request(as_user) -> None:
    consumer = as_user("budongchan")
    token = csrf_of(consumer, "/exchange/requests/new")
    r = consumer.post("/exchange/requests/new", data={**_form(), "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text[:400]
    m = re.fullmatch(r"/exchange/requests/(\d+)\?notice=created", r.headers["location"])
    assert m
    page = consumer.get(r.headers["location"])
    assert "共享申请已提交" in page.text and "待审批" in page.text
    assert "/approve" not in page.text  # the consumer cannot decide its own request
    listing = consumer.get("/exchange/requests?tab=outgoing").text
    assert f'href="/exchange/requests/{m.group(1)}"' in listing
    assert re.search(r"剩余 \d+ 个工作日", listing)


def test_the_provider_approves_through_the_form_and_a_csrf_less_post_is_refused(as_user) -> None:
    rid = _request(as_user("budongchan"))
    provider = as_user("minzheng")
    incoming = provider.get("/exchange/requests?tab=incoming").text
    assert f'href="/exchange/requests/{rid}"' in incoming
    page = provider.get(f"/exchange/requests/{rid}")
    assert f'action="/exchange/requests/{rid}/approve"' in page.text
    assert 'name="masked_fields" value="spouse_id_number"' in page.text

    bare = provider.post(f"/exchange/requests/{rid}/approve", data={"masked_fields": "spouse_id_number"})
    assert bare.status_code == 403
    assert provider.get(f"/api/v1/exchange/requests/{rid}").json()["status"] == "pending"

    token = csrf_of(provider, f"/exchange/requests/{rid}")
    r = provider.post(f"/exchange/requests/{rid}/approve", follow_redirects=False,
                      data={"masked_fields": ["spouse_id_number"], "note": "同意", "csrf_token": token})  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == f"/exchange/requests/{rid}?notice=approved"
    after = provider.get(r.headers["location"]).text
    assert "已同意该共享申请" in after and "已同意" in after and "脱敏" in after
    assert "/approve" not in after  # decided: no form any more
    body = provider.get(f"/api/v1/exchange/requests/{rid}").json()
    assert body["status"] == "approved"
    grant = next(
        g for g in as_user("budongchan").get("/api/v1/exchange/grants").json() if g["id"] == body["grant_id"]
    )
    assert grant["masked_fields"] == ["spouse_id_number"]


def test_a_consumer_cannot_see_or_use_the_decision_forms(as_user) -> None:
    consumer = as_user("budongchan")
    rid = _request(consumer)
    page = consumer.get(f"/exchange/requests/{rid}")
    assert page.status_code == 200
    assert "/approve" not in page.text and "/refuse" not in page.text and "同意并授权" not in page.text
    token = csrf_of(consumer, f"/exchange/requests/{rid}")
    assert consumer.post(f"/exchange/requests/{rid}/approve", data={"csrf_token": token}).status_code == 403
    assert as_user("citizen").get(f"/exchange/requests/{rid}").status_code == 403


def test_refusing_needs_a_reason(as_user) -> None:
    rid = _request(as_user("budongchan"))
    provider = as_user("minzheng")
    token = csrf_of(provider, f"/exchange/requests/{rid}")
    r = provider.post(f"/exchange/requests/{rid}/refuse", data={"reason": " ", "csrf_token": token})
    assert r.status_code == 422 and "请填写拒绝理由" in r.text
    assert provider.get(f"/api/v1/exchange/requests/{rid}").json()["status"] == "pending"
    r = provider.post(f"/exchange/requests/{rid}/refuse", follow_redirects=False,
                      data={"reason": "申请的信息项超出办理该事项所需", "csrf_token": token})  # fmt: skip
    assert r.status_code == 303
    page = provider.get(r.headers["location"]).text
    assert "已拒绝" in page and "申请的信息项超出办理该事项所需" in page


def test_grants_show_todays_use_and_the_provider_can_revoke(as_user) -> None:
    consumer, provider = as_user("budongchan"), as_user("minzheng")
    rid = _request(consumer, fields=["id_number", "name"])
    ptoken = csrf_of(provider, f"/exchange/requests/{rid}")
    provider.post(f"/exchange/requests/{rid}/approve", data={"csrf_token": ptoken})
    gid = provider.get(f"/api/v1/exchange/requests/{rid}").json()["grant_id"]
    mine = consumer.get("/exchange/grants").text
    assert f'href="/exchange/requests/{rid}">#{gid}</a>' in mine and "/ 500" in mine
    assert f"/exchange/grants/{gid}/revoke" not in mine  # the consumer cannot revoke
    given = provider.get("/exchange/grants").text
    assert f'action="/exchange/grants/{gid}/revoke"' in given
    r = provider.post(f"/exchange/grants/{gid}/revoke", data={"reason": "短", "csrf_token": ptoken})
    assert r.status_code == 422 and "请填写撤销理由" in r.text
    r = provider.post(f"/exchange/grants/{gid}/revoke", data={"reason": "业务已办结，收回授权", "csrf_token": ptoken},
                      follow_redirects=False)  # fmt: skip
    assert r.status_code == 303
    page = provider.get(r.headers["location"]).text
    assert "授权已撤销" in page and "业务已办结，收回授权" in page


def test_overdue_requests_are_marked_and_listed_for_data_officers(as_user) -> None:
    rid = _request(as_user("budongchan"))
    make_overdue("sharing_request", rid)
    officer = as_user("officer")
    page = officer.get("/exchange/requests?tab=overdue").text
    row = page[page.index(f'href="/exchange/requests/{rid}"') :].split("</tr>")[0]
    assert "已超期" in row and "超期已升级" in row
    assert (
        "超期"
        not in as_user("budongchan").get("/exchange/requests").text.split("ex-tabs")[1].split("</nav>")[0]
    )
    monitor = officer.get("/api/v1/exchange/monitor").json()
    assert rid in [r["id"] for r in monitor["overdue"]] and monitor["figures"]["overdue"] >= 1


def test_monitor_json_has_figures_charts_and_lists(as_user, client) -> None:
    rid = _request(as_user("budongchan"), fields=["id_number", "name"])
    provider = as_user("minzheng")
    provider.post(f"/exchange/requests/{rid}/approve", data={"csrf_token": csrf_of(provider)})
    token = token_for(client, "330106-real_estate", "330106")
    number, _ = person_key("src_marriage", "330106")
    ok = client.get(f"/api/v1/exchange/resources/{MARRIAGE}/records/{number}", headers=headers(token))
    assert ok.status_code == 200, ok.text
    refused = client.get(
        f"/api/v1/exchange/resources/{HOUSEHOLD}/records/11010519491231002X", headers=headers(token)
    )
    assert refused.status_code == 403

    officer = as_user("officer")
    m = officer.get("/api/v1/exchange/monitor", params={"days": 7}).json()
    assert set(m) == {"scope", "days", "since", "generated_at", "figures", "by_resource", "by_consumer",
                      "refusal_reasons", "recent_refusals", "overdue"}  # fmt: skip
    assert m["scope"] == "杭州市（全市）"
    assert m["days"] == 7 and set(m["figures"]) == {"calls", "refusals", "rows", "overdue"}
    assert m["figures"]["calls"] >= 2 and m["figures"]["refusals"] >= 1
    household = next(r for r in m["by_resource"] if r["code"] == HOUSEHOLD)
    assert household["refusals"] >= 1
    assert set(household) == {"code", "name", "calls", "refusals", "rows", "p50_ms", "avg_ms", "max_ms"}
    assert household["p50_ms"] <= household["max_ms"]
    assert any(d["name"] == "西湖区不动产登记中心" for d in m["by_consumer"])
    assert any("未获得" in r["reason"] for r in m["refusal_reasons"])
    assert m["recent_refusals"][0]["status"] == 403
    page = officer.get("/exchange/monitor")
    assert page.status_code == 200 and 'data-src="/api/v1/exchange/monitor?days=1"' in page.text
    assert not re.findall(r"<script(?![^>]*\bsrc=)", page.text)  # no inline script (CSP)
    assert as_user("budongchan").get("/exchange/monitor").status_code == 403
    assert as_user("budongchan").get("/api/v1/exchange/monitor").status_code == 403
    assert as_user("leader").get("/exchange/monitor").status_code == 200


def test_a_district_officer_monitors_the_calls_of_the_districts_departments_only(as_user, client) -> None:
    token = token_for(client, "330106-real_estate", "330106")
    refused = client.get(
        f"/api/v1/exchange/resources/{HOUSEHOLD}/records/11010519491231002X", headers=headers(token)
    )
    assert refused.status_code == 403  # a call (refused) by a 西湖区 department
    xihu = as_user(district_officer("330106")).get("/api/v1/exchange/monitor", params={"days": 7})
    assert xihu.status_code == 200, xihu.text
    m = xihu.json()
    assert m["scope"] == "西湖区" and m["figures"]["refusals"] >= 1
    assert {d["name"] for d in m["by_consumer"]} and all("西湖区" in d["name"] for d in m["by_consumer"])
    other = as_user(district_officer("330102")).get("/api/v1/exchange/monitor", params={"days": 7}).json()
    assert other["scope"] == "上城区" and not any("西湖区" in d["name"] for d in other["by_consumer"])
    assert all(r["department"] != "西湖区不动产登记中心" for r in other["recent_refusals"])
    page = as_user(district_officer("330106")).get("/exchange/monitor")
    assert page.status_code == 200 and "含西湖区各部门" in page.text


def test_who_uses_a_resource_fragment(as_user) -> None:
    consumer = as_user("budongchan")
    rid = _request(consumer, fields=["id_number", "marital_status"])
    provider = as_user("minzheng")
    provider.post(f"/exchange/requests/{rid}/approve", data={"csrf_token": csrf_of(provider)})
    r = as_user("staff").get(f"/exchange/resources/{MARRIAGE}/consumers")
    assert r.status_code == 200 and "<html" not in r.text
    assert "西湖区不动产登记中心" in r.text and "婚姻状况" in r.text and "近 30 日调用" in r.text
    citizen = as_user("citizen").get(f"/exchange/resources/{MARRIAGE}/consumers")
    assert citizen.status_code == 200 and "仅工作人员可查看" in citizen.text and "西湖区" not in citizen.text
    assert as_user("staff").get("/exchange/resources/NOPE-0000/consumers").status_code == 404


def test_what_people_type_is_escaped(as_user) -> None:
    consumer = as_user("budongchan")
    rid = _request(consumer, purpose="<script>alert('x')</script>核验婚姻状况")
    for path in ("/exchange/requests?tab=outgoing", f"/exchange/requests/{rid}"):
        html = consumer.get(path).text
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;核验婚姻状况" in html


def test_nav_and_home_cards(as_user) -> None:
    home = as_user("budongchan").get("/").text
    assert 'href="/exchange/requests"' in home and "共享申请" in home
    assert 'href="/exchange/monitor"' not in home
    officer = as_user("officer").get("/").text
    assert 'href="/exchange/monitor"' in officer and 'href="/exchange/requests?tab=overdue"' in officer
    clerk = as_user("clerk")
    assert 'href="/exchange/grants"' in clerk.get("/").text
    assert clerk.get("/exchange/grants").status_code == 200
    assert clerk.get("/exchange/requests").status_code == 200
    assert clerk.get("/exchange/requests/new").status_code == 403  # window clerks do not request
