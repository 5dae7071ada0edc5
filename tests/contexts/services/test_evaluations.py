"""好差评: the applicant rates a handled application once; 不满意 opens a rectification case in the
department's to-do list, then the follow-up; the statistics per department are public."""

from __future__ import annotations

from tests.contexts.services.helpers import MARRIAGE_PROOF, person_form, post, staff_of

API = "/api/v1/services"


def _done(as_user) -> tuple[object, int]:  # type: ignore[no-untyped-def]
    citizen = as_user("citizen")
    a = post(citizen, f"{API}/applications", json={"item_code": MARRIAGE_PROOF, "form": person_form()}).json()
    staff = as_user(staff_of("330106-civil_affairs"))
    r = post(citizen, f"{API}/applications/{a['id']}/evaluation", json={"rating": 5})
    assert r.status_code == 403  # not before it is handled
    for code in ("accept", "review", "decide", "complete"):
        assert post(staff, f"{API}/applications/{a['id']}/steps/{code}", json={}).status_code == 200
    return citizen, int(a["id"])


def test_a_bad_rating_opens_a_rectification_for_the_department(as_user, client) -> None:  # type: ignore[no-untyped-def]
    citizen, app_id = _done(as_user)
    assert post(citizen, f"{API}/applications/{app_id}/evaluation", json={"rating": 2}).status_code == 422
    assert post(citizen, f"{API}/applications/{app_id}/evaluation", json={"rating": 9}).status_code == 422
    other = as_user("enterprise")
    assert post(other, f"{API}/applications/{app_id}/evaluation", json={"rating": 5}).status_code == 403
    r = post(
        citizen, f"{API}/applications/{app_id}/evaluation", json={"rating": 2, "reasons": ["等候时间长"]}
    )
    assert r.status_code == 201 and r.json()["status"] == "rectifying"
    assert post(citizen, f"{API}/applications/{app_id}/evaluation", json={"rating": 5}).status_code == 409

    staff = as_user(staff_of("330106-civil_affairs"))
    page = staff.get("/workbench/tasks").text
    assert "差评整改：婚姻登记记录证明（不满意）" in page
    stats = {s["department"]: s for s in client.get(f"{API}/evaluations/stats").json()}
    row = stats["西湖区民政局"]
    assert row["bad"] >= 1 and row["ratings"] >= 1
    assert "西湖区民政局" in client.get("/services/evaluations").text


def test_a_good_rating_opens_nothing(as_user) -> None:  # type: ignore[no-untyped-def]
    citizen, app_id = _done(as_user)
    r = post(
        citizen, f"{API}/applications/{app_id}/evaluation", json={"rating": 5, "reasons": ["办事效率高"]}
    )
    assert r.status_code == 201 and r.json()["status"] == "rated"
