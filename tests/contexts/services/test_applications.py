"""A citizen applies online; the department takes the case through 受理 → 审查 → 决定 → 办结 on
the workflow engine; bad input and wrong roles change nothing."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from tests.contexts.services.helpers import BIRTH_ITEM, MARRIAGE_PROOF, PDF, person_form, post, staff_of
from yiwang.core.db import transaction

API = "/api/v1/services"


def _count() -> int:
    with transaction() as s:
        return int(s.execute(text("SELECT count(*) FROM service_application")).scalar_one())


def test_at_least_twenty_items_across_departments_each_on_the_engine(client) -> None:  # type: ignore[no-untyped-def]
    items = client.get(f"{API}/items").json()
    assert len(items) >= 20
    assert len({i["department"] for i in items}) >= 10
    assert {i["workflow"] for i in items} == {"services.application"}
    assert all(len(i["code"]) == 12 and i["code"][:2] in ("01", "05", "07", "09", "20") for i in items)
    assert any(i["cross_province"] for i in items) and any(m["waived"] for i in items for m in i["materials"])


def test_chinese_search_finds_items_by_words_of_the_guide(client) -> None:  # type: ignore[no-untyped-def]
    names = [i["name"] for i in client.get(f"{API}/items", params={"q": "新生儿"}).json()]
    assert "出生医学证明签发" in names and "出生登记（户口登记）" in names and "企业设立登记" not in names
    names = [i["name"] for i in client.get(f"{API}/items", params={"q": "开办企业 刻章"}).json()]
    assert names == ["公章刻制备案"]
    assert client.get(f"{API}/items", params={"q": "火星移民"}).json() == []


def test_citizen_applies_and_department_completes_it(as_user) -> None:  # type: ignore[no-untyped-def]
    citizen = as_user("citizen")
    key = uuid.uuid4().hex
    body = {"item_code": MARRIAGE_PROOF, "form": person_form()}
    r = post(citizen, f"{API}/applications", json=body, headers={"Idempotency-Key": key})
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["status"] == "submitted" and a["number"].startswith("YW")
    assert all(m["status"] == "waived" for m in a["materials"])
    again = post(citizen, f"{API}/applications", json=body, headers={"Idempotency-Key": key})
    assert again.status_code == 200 and again.json()["id"] == a["id"]  # a double click: one application

    staff = as_user(staff_of("330106-civil_affairs"))
    r = post(citizen, f"{API}/applications/{a['id']}/steps/accept", json={})
    assert r.status_code == 403  # the applicant does not accept their own case
    for code, state in (("accept", "reviewing"), ("review", "deciding"), ("decide", "decided"),
                        ("complete", "completed")):  # fmt: skip
        r = post(staff, f"{API}/applications/{a['id']}/steps/{code}", json={})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == state
    r = post(staff, f"{API}/applications/{a['id']}/steps/accept", json={})
    assert r.status_code == 409  # not in that state any more
    mine = citizen.get(f"{API}/applications").json()
    assert any(x["id"] == a["id"] and x["status_label"] == "已办结" for x in mine)


def test_other_department_cannot_act_or_read(as_user) -> None:  # type: ignore[no-untyped-def]
    citizen = as_user("citizen")
    r = post(citizen, f"{API}/applications", json={"item_code": MARRIAGE_PROOF, "form": person_form()})
    a = r.json()
    other = as_user(staff_of("330106-health"))
    assert other.get(f"{API}/applications/{a['id']}").status_code == 403
    assert post(other, f"{API}/applications/{a['id']}/steps/accept", json={}).status_code == 403


def test_supplement_pauses_the_clock_and_the_applicant_answers(as_user) -> None:  # type: ignore[no-untyped-def]
    citizen = as_user("citizen")
    a = post(citizen, f"{API}/applications", json={"item_code": MARRIAGE_PROOF, "form": person_form()}).json()
    staff = as_user(staff_of("330106-civil_affairs"))
    assert post(staff, f"{API}/applications/{a['id']}/steps/accept", json={}).status_code == 200
    r = post(staff, f"{API}/applications/{a['id']}/steps/request_supplement", json={})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "reason"
    r = post(
        staff, f"{API}/applications/{a['id']}/steps/request_supplement", json={"reason": "请补充婚姻状况说明"}
    )
    assert r.status_code == 200 and r.json()["status"] == "supplement" and r.json()["paused"] is True
    r = post(citizen, f"{API}/applications/{a['id']}/steps/supplement", json={"comment": "已补充说明"})
    assert r.status_code == 200 and r.json()["status"] == "reviewing" and r.json()["paused"] is False
    r = post(citizen, f"{API}/applications/{a['id']}/steps/withdraw", json={"reason": "不需要了"})
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"


def test_invalid_form_gets_chinese_field_errors_and_changes_nothing(as_user) -> None:  # type: ignore[no-untyped-def]
    citizen = as_user("citizen")
    before = _count()
    form = {**person_form(), "id_number": "110105199001011230", "phone": "12", "name": ""}
    r = post(
        citizen, f"{API}/applications", json={"item_code": MARRIAGE_PROOF, "form": {**form, "hack": "x"}}
    )
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    errors = {e["field"]: e["detail"] for e in r.json()["errors"]}
    assert set(errors) == {"form.name", "form.phone", "form.id_number", "form.hack"}, errors
    assert errors["form.name"] == "请填写申请人姓名" and "校验位" in errors["form.id_number"]
    r = post(citizen, f"{API}/applications", json={"item_code": BIRTH_ITEM, "form": person_form()})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert "form.child_name" in fields
    assert post(citizen, f"{API}/applications", json={"item_code": "x" * 21, "form": {}}).status_code == 422
    assert citizen.get(f"{API}/applications/{2**63}").status_code == 422
    assert _count() == before


def test_uploads_are_checked_by_content_and_size(as_user) -> None:  # type: ignore[no-untyped-def]
    citizen = as_user("citizen")
    r = post(citizen, f"{API}/files", data={"material": "住院分娩记录"},
             files={"file": ("记录.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")})  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "file"
    big = PDF + b"0" * (10 * 1024 * 1024)
    r = post(
        citizen,
        f"{API}/files",
        data={"material": "住院分娩记录"},
        files={"file": ("a.pdf", big, "application/pdf")},
    )
    assert r.status_code == 422 and "10 MB" in r.json()["errors"][0]["detail"]
    r = post(
        citizen,
        f"{API}/files",
        data={"material": "住院分娩记录"},
        files={"file": ("a.bin", PDF, "text/plain")},
    )
    assert r.status_code == 201 and r.json()["content_type"] == "application/pdf"
    form = {**person_form(), "child_name": "小明", "child_birth_date": "2026-11-20"}
    r = post(citizen, f"{API}/applications", json={"item_code": BIRTH_ITEM, "form": form})
    assert r.status_code == 422 and any(e["detail"] == "请上传住院分娩记录" for e in r.json()["errors"])
    fid = post(citizen, f"{API}/files", data={"material": "住院分娩记录"},
               files={"file": ("a.pdf", PDF, "application/pdf")}).json()["id"]  # fmt: skip
    r = post(
        citizen,
        f"{API}/applications",
        json={"item_code": BIRTH_ITEM, "form": form, "files": {"住院分娩记录": fid}},
    )
    assert r.status_code == 201, r.text
    statuses = {m["name"]: m["status"] for m in r.json()["materials"]}
    assert statuses["住院分娩记录"] == "uploaded" and statuses["居民身份证"] == "waived"


def test_window_clerk_applies_for_the_citizen_in_front_of_them(as_user) -> None:  # type: ignore[no-untyped-def]
    clerk = as_user("clerk2")  # 拱墅区's window: the item is 西湖区's, accepted anywhere in the city
    r = post(clerk, f"{API}/applications", json={"item_code": BIRTH_ITEM, "channel": "window",
             "form": {**person_form(), "child_name": "小红", "child_birth_date": "2026-11-21"}})  # fmt: skip
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["channel"] == "window"
    assert {m["status"] for m in a["materials"]} <= {"waived", "checked_at_window"}
    citizen = as_user("citizen")
    assert citizen.get(f"{API}/applications/{a['id']}").status_code == 200  # the same records as online
    r = post(as_user("citizen"), f"{API}/applications", json={"item_code": BIRTH_ITEM, "channel": "window",
             "form": person_form()})  # fmt: skip
    assert r.status_code == 403


def test_the_case_waits_in_the_departments_todo_list(as_user) -> None:  # type: ignore[no-untyped-def]

    citizen = as_user("citizen")
    a = post(citizen, f"{API}/applications", json={"item_code": MARRIAGE_PROOF, "form": person_form()}).json()
    staff = as_user(staff_of("330106-civil_affairs"))
    page = staff.get("/workbench/tasks").text
    assert f"/services/applications/{a['id']}" in page


def test_the_applicant_is_notified_at_each_step(as_user) -> None:  # type: ignore[no-untyped-def]
    citizen = as_user("citizen")
    a = post(citizen, f"{API}/applications", json={"item_code": MARRIAGE_PROOF, "form": person_form()}).json()
    staff = as_user(staff_of("330106-civil_affairs"))
    for code in ("accept", "review", "decide", "complete"):
        assert post(staff, f"{API}/applications/{a['id']}/steps/{code}", json={}).status_code == 200
    titles = [n["title"] for n in citizen.get("/api/v1/notifications", params={"limit": 50}).json()["items"]]
    mine = [t for t in titles if "婚姻登记记录证明" in t]
    assert (
        any("已提交" in t for t in mine)
        and any("已受理" in t for t in mine)
        and any("已办结" in t for t in mine)
    )
    waiting = [n["title"] for n in staff.get("/api/v1/notifications", params={"limit": 50}).json()["items"]]
    assert "新办件待处理：婚姻登记记录证明" in waiting
