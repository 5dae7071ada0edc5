"""出生一件事 and 开办企业一件事 with one combined form and the saving computed from the items; a
step starts when the steps before it are completed; 一业一证's permits are decided in parallel."""

from __future__ import annotations

import uuid

from tests.contexts.services.helpers import PDF, person_form, post, staff_of

API = "/api/v1/services"


def test_the_saving_is_computed_from_the_items(client) -> None:  # type: ignore[no-untyped-def]
    bundles = {b["code"]: b for b in client.get(f"{API}/bundles").json()}
    birth = bundles["birth"]
    assert [s["item_name"] for s in birth["steps"]][:2] == ["出生医学证明签发", "出生登记（户口登记）"]
    assert birth["saving"] == {"items": {"one_by_one": 5, "bundled": 1}, "materials": {"one_by_one": 14, "bundled": 2},
                               "visits": {"one_by_one": 1, "bundled": 1}, "days": {"one_by_one": 11, "bundled": 9}}  # fmt: skip
    assert sorted(birth["form_fields"]) == sorted(
        ["name", "id_number", "phone", "address", "child_name", "child_birth_date"]
    )
    store = bundles["convenience_store"]
    assert store["industry_license"] == "便利店行业综合许可证"
    assert store["saving"]["materials"] == {"one_by_one": 8, "bundled": 4}
    assert store["saving"]["days"] == {"one_by_one": 25, "bundled": 10}
    assert bundles["business"]["saving"]["items"] == {"one_by_one": 5, "bundled": 1}


def _upload(c, name: str) -> int:  # type: ignore[no-untyped-def]
    r = post(c, f"{API}/files", data={"material": name}, files={"file": ("a.pdf", PDF, "application/pdf")})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_birth_bundle_one_form_and_steps_start_in_dependency_order(as_user) -> None:  # type: ignore[no-untyped-def]
    citizen = as_user("citizen")
    form = {**person_form(), "child_name": "小宝", "child_birth_date": "2026-11-30"}
    r = post(citizen, f"{API}/bundles/birth/applications", json={"form": {**form, "child_name": ""}})
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} >= {"form.child_name"}
    files = {
        "住院分娩记录": _upload(citizen, "住院分娩记录"),
        "本人近期免冠证件照": _upload(citizen, "本人近期免冠证件照"),
    }
    key = uuid.uuid4().hex
    r = post(citizen, f"{API}/bundles/birth/applications", json={"form": form, "files": files},
             headers={"Idempotency-Key": key})  # fmt: skip
    assert r.status_code == 201, r.text
    b = r.json()
    again = post(citizen, f"{API}/bundles/birth/applications", json={"form": form, "files": files},
                 headers={"Idempotency-Key": key})  # fmt: skip
    assert again.status_code == 200 and again.json()["id"] == b["id"]
    status = [a["status"] for a in b["applications"]]
    assert status == ["submitted", "waiting", "waiting", "waiting", "waiting"]
    hukou = b["applications"][1]
    assert {m["name"]: m["status"] for m in hukou["materials"]}["出生医学证明"] == "from_bundle"

    health = as_user(staff_of("330106-health"))
    first = b["applications"][0]["id"]
    for code in ("accept", "review", "decide", "complete"):
        assert post(health, f"{API}/applications/{first}/steps/{code}", json={}).status_code == 200
    after = [a["status"] for a in citizen.get(f"{API}/bundle-applications/{b['id']}").json()["applications"]]
    assert after == [
        "completed",
        "submitted",
        "waiting",
        "waiting",
        "submitted",
    ]  # 户口登记 and 预防接种证 start

    police = as_user(staff_of("330106-public_security"))
    second = b["applications"][1]["id"]
    for code in ("accept", "review", "decide", "complete"):
        assert post(police, f"{API}/applications/{second}/steps/{code}", json={}).status_code == 200
    after = [a["status"] for a in citizen.get(f"{API}/bundle-applications/{b['id']}").json()["applications"]]
    assert after == ["completed", "completed", "submitted", "submitted", "submitted"]
    assert as_user("enterprise").get(f"{API}/bundle-applications/{b['id']}").status_code == 403


def test_industry_license_permits_are_decided_in_parallel(as_user) -> None:  # type: ignore[no-untyped-def]
    ent = as_user("enterprise")
    assert (
        post(
            as_user("citizen"), f"{API}/bundles/convenience_store/applications", json={"form": {}}
        ).status_code
        == 403
    )
    prefill = ent.get(f"{API}/items/010006002000/prefill").json()["values"]
    assert prefill["credit_code"] and prefill["enterprise_name"]
    form = {**prefill, "phone": "13900001234"}
    files = {n: _upload(ent, n) for n in ("食品安全管理制度", "经营场所平面图", "经营场所使用证明")}
    r = post(ent, f"{API}/bundles/convenience_store/applications", json={"form": form, "files": files})
    assert r.status_code == 201, r.text
    assert [a["status"] for a in r.json()["applications"]] == ["submitted"] * 3
