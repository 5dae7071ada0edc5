"""The story of a city event: a grid worker reports it, it is found in its grid, dispatched by
the rules, handled, sent back, verified with a photo and closed; duplicates are offered and
closed together; bad input changes nothing."""

from __future__ import annotations

from sqlalchemy import text

from tests.conftest import csrf_of
from tests.contexts.cityops.helpers import GRID, png, point_in
from yiwang.core.db import transaction


def _count(table: str) -> int:
    with transaction() as s:
        return int(s.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _post(c, path: str, body: dict):  # type: ignore[no-untyped-def]
    return c.post(path, json=body, headers={"X-CSRF-Token": csrf_of(c)})


def test_grid_worker_reports_and_the_event_is_dispatched_handled_verified_and_closed(as_user) -> None:
    grid = as_user("grid")
    lon, lat = point_in(GRID)
    r = _post(
        grid,
        "/api/v1/cityops/events",
        {
            "category_code": "20102",
            "lon": lon,
            "lat": lat,
            "address": "文三路 100 号门口",
            "description": "路边有一堆暴露垃圾",
        },
    )
    assert r.status_code == 201, r.text
    e = r.json()
    assert e["grid_code"] == GRID and e["street_code"] == "330106001" and e["district_code"] == "330106"
    assert e["status"] == "dispatched" and e["department"] == "西湖区城市管理局" and e["due_at"]

    with transaction() as s:
        staff = s.execute(text(
            "SELECT u.username FROM user_account u JOIN department d ON d.id = u.department_id "
            "WHERE d.code = '330106-urban_management' AND u.roles LIKE '%dept_staff%' ORDER BY u.id LIMIT 1"
        )).scalar_one()  # fmt: skip
    handler = as_user(staff)
    back = _post(handler, f"/api/v1/cityops/events/{e['id']}/return", {"reason": "不属于本部门职责"})
    assert back.status_code == 200, back.text
    assert back.json()["status"] == "registered"
    again = _post(handler, f"/api/v1/cityops/events/{e['id']}/dispatch", {"department_id": None})
    assert again.status_code == 200, again.text
    done = _post(handler, f"/api/v1/cityops/events/{e['id']}/handle", {"comment": "已清运"})
    assert done.status_code == 200 and done.json()["status"] == "handled", done.text

    no_photo = _post(grid, f"/api/v1/cityops/events/{e['id']}/verify", {"comment": "已清理"})
    assert no_photo.status_code == 422 and no_photo.json()["errors"][0]["field"] == "attachments"
    up = grid.post(
        f"/api/v1/cityops/events/{e['id']}/photos",
        params={"stage": "verify"},
        files={"photo": ("after.png", png(), "image/png")},
        headers={"X-CSRF-Token": csrf_of(grid)},
    )
    assert up.status_code == 201, up.text
    closed = _post(
        grid,
        f"/api/v1/cityops/events/{e['id']}/verify",
        {"comment": "现场已清理干净", "photo_ids": [up.json()["photo_id"]]},
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"]
    with transaction() as s:
        types = [
            t
            for (t,) in s.execute(
                text("SELECT type FROM event_outbox WHERE subject = :s ORDER BY id"),
                {"s": f"event/{e['id']}"},
            )
        ]
    assert types == [
        "yiwang.cityops.event.created",
        "yiwang.cityops.event.registered",
        "yiwang.cityops.event.dispatched",
        "yiwang.cityops.event.returned",
        "yiwang.cityops.event.dispatched",
        "yiwang.cityops.event.handled",
        "yiwang.cityops.event.closed",
    ]


def test_a_duplicate_is_offered_merged_and_closes_with_its_event(as_user) -> None:
    grid = as_user("grid")
    lon, lat = point_in(GRID, 0.0003, 0.0)
    first = _post(
        grid,
        "/api/v1/cityops/events",
        {"category_code": "20201", "lon": lon, "lat": lat, "description": "电线杆上贴满小广告"},
    ).json()
    second = _post(
        grid,
        "/api/v1/cityops/events",
        {"category_code": "20201", "lon": lon + 0.0001, "lat": lat, "description": "同一根电线杆小广告"},
    ).json()
    assert [d["event_id"] for d in second["duplicates"]] == [first["id"]]
    assert second["status"] == "reported"  # waits for the command centre: merge or register
    assert 0 < second["duplicates"][0]["distance_m"] < 50
    with transaction() as s:
        staff = s.execute(text(
            "SELECT u.username FROM user_account u JOIN department d ON d.id = u.department_id "
            "WHERE d.code = '330106-urban_management' AND u.roles LIKE '%dept_staff%' ORDER BY u.id LIMIT 1"
        )).scalar_one()  # fmt: skip
    center = as_user(staff)
    m = _post(
        center,
        f"/api/v1/cityops/events/{second['id']}/merge",
        {"merge_into": first["id"], "comment": "重复上报"},
    )
    assert m.status_code == 200, m.text
    assert m.json()["status"] == "merged" and m.json()["merged_into_id"] == first["id"]
    _post(center, f"/api/v1/cityops/events/{first['id']}/handle", {"comment": "已铲除"})
    photo = grid.post(
        f"/api/v1/cityops/events/{first['id']}/photos",
        params={"stage": "verify"},
        files={"photo": ("a.png", png(), "image/png")},
        headers={"X-CSRF-Token": csrf_of(grid)},
    ).json()
    ok = _post(grid, f"/api/v1/cityops/events/{first['id']}/verify", {"photo_ids": [photo["photo_id"]]})
    assert ok.status_code == 200, ok.text
    dup = grid.get(f"/api/v1/cityops/events/{second['id']}").json()
    assert dup["status"] == "closed" and dup["closed_at"]


def test_bad_reports_are_refused_field_by_field_and_write_nothing(as_user) -> None:
    grid = as_user("grid")
    lon, lat = point_in(GRID)
    before = (_count("city_event"), _count("workflow_case"), _count("event_outbox"))
    outside = _post(
        grid,
        "/api/v1/cityops/events",
        {"category_code": "20102", "lon": 116.4, "lat": 39.9, "description": "北京的一个点"},
    )
    assert outside.status_code == 422 and outside.json()["errors"][0]["field"] == "lon"
    assert "网格" in outside.json()["errors"][0]["detail"]
    unknown = _post(
        grid,
        "/api/v1/cityops/events",
        {"category_code": "29999", "lon": lon, "lat": lat, "description": "未知分类"},
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "category_code"
    batch = _post(
        grid,
        "/api/v1/cityops/events/batch",
        {
            "events": [
                {"category_code": "20102", "lon": lon, "lat": lat, "description": "好的一条"},
                {"category_code": "20102", "lon": 0.0, "lat": 0.0, "description": "坏的一条"},
            ]
        },
    )
    assert batch.status_code == 422 and [e["field"] for e in batch.json()["errors"]] == ["events.1.lon"]
    huge = _post(
        grid,
        "/api/v1/cityops/events/batch",
        {"events": [{"category_code": "20102", "lon": lon, "lat": lat, "description": "很多"}] * 1001},
    )
    assert huge.status_code == 422
    assert (_count("city_event"), _count("workflow_case"), _count("event_outbox")) == before
    mine = _post(grid, "/api/v1/cityops/events", {"category_code": "10102", "lon": lon, "lat": lat,
                                                  "description": "污水井盖松动"}).json()["id"]  # fmt: skip
    before = (_count("city_event"), _count("workflow_case"), _count("event_outbox"))
    bad_photo = grid.post(
        f"/api/v1/cityops/events/{mine}/photos",
        files={"photo": ("x.png", b"GIF89a not a png", "image/png")},
        headers={"X-CSRF-Token": csrf_of(grid)},
    )
    assert bad_photo.status_code == 422 and bad_photo.json()["errors"][0]["code"] == "type"
    assert (_count("city_event"), _count("workflow_case"), _count("event_outbox")) == before


def test_a_batch_is_located_and_dispatched_in_one_go(as_user) -> None:
    grid = as_user("grid")
    items = [
        {
            "category_code": "10104",
            "lon": point_in(GRID, 0.00002 * i)[0],
            "lat": point_in(GRID)[1],
            "description": f"路灯不亮 {i}",
            "source": "sensor",
        }
        for i in range(0, 400, 40)
    ]
    r = _post(grid, "/api/v1/cityops/events/batch", {"events": items})
    assert r.status_code == 201, r.text
    assert r.json()["created"] == len(items)
    first = grid.get(f"/api/v1/cityops/events/{r.json()['ids'][0]}").json()
    assert first["status"] == "dispatched" and first["grid_code"] == GRID
