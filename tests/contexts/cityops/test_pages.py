"""The pages: a grid worker reports from the form with a photo, the event's page offers what
the viewer may do, a wrong photo or a point outside the city is shown on the form; the leader's
dashboard and the public statistics render."""

from __future__ import annotations

import re

from tests.conftest import csrf_of
from tests.contexts.cityops.helpers import GRID, png, point_in


def test_grid_worker_reports_from_the_form_and_sees_the_event(as_user) -> None:
    grid = as_user("grid")
    form = grid.get("/cityops/report")
    assert form.status_code == 200 and "上报城市事件" in form.text and "机动车乱停放" in form.text
    lon, lat = point_in(GRID, 0.0002, -0.0002)
    r = grid.post("/cityops/report", data={"csrf_token": csrf_of(grid, "/cityops/report"), "category_code": "10101",
                                           "lon": str(lon), "lat": str(lat), "address": "学院路口",
                                           "description": "上水井盖破损"},
                  files={"photo": ("p.png", png(), "image/png")}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text[:500]
    page = grid.get(r.headers["location"])
    assert "事件已上报" in page.text and "上水井盖" in page.text and "待处置" in page.text
    assert re.search(r'<img src="/cityops/events/\d+/photos/\d+"', page.text)
    photo = re.search(r'<img src="(/cityops/events/\d+/photos/\d+)"', page.text).group(1)
    assert grid.get(photo).headers["content-type"] == "image/png"


def test_a_bad_form_is_shown_again_with_chinese_messages(as_user) -> None:
    grid = as_user("grid")
    r = grid.post("/cityops/report", data={"csrf_token": csrf_of(grid, "/cityops/report"), "category_code": "10101",
                                           "lon": "116.4", "lat": "39.9", "description": "北京"},
                  files={"photo": ("p.png", b"not an image at all", "image/png")})  # fmt: skip
    assert r.status_code == 422
    assert "只接受 JPEG、PNG 或 WebP 格式的照片" in r.text
    r = grid.post("/cityops/report", data={"csrf_token": csrf_of(grid, "/cityops/report"), "category_code": "10101",
                                           "lon": "116.4", "lat": "39.9", "description": "北京"})  # fmt: skip
    assert r.status_code == 422 and "不在本市任何网格内" in r.text


def test_the_leader_dashboard_and_the_public_statistics_render(as_user, client) -> None:
    leader = as_user("leader")
    page = leader.get("/cityops/dashboard")
    assert page.status_code == 200 and "城市运行指挥" in page.text and 'id="co-map"' in page.text
    data = leader.get("/api/v1/cityops/dashboard").json()
    assert {"open", "overdue", "closing_rate", "streets", "departments", "trend", "points"} <= set(data)
    public = client.get("/cityops/stats")
    assert public.status_code == 200 and "城市事件公开统计" in public.text
    stats = client.get("/api/v1/cityops/stats").json()
    assert "points" not in stats and "streets" not in stats and stats["total"] >= 0
    assert client.get("/api/v1/cityops/dashboard").status_code == 401
    citizen = as_user("citizen")
    assert citizen.get("/cityops/dashboard").status_code == 403


def test_the_signal_timing_page_shows_webster_before_and_after(as_user) -> None:
    leader = as_user("leader")
    page = leader.get("/cityops/signals")
    assert page.status_code == 200 and "建议周期" in page.text and "文三路与学院路口" in page.text
    assert as_user("citizen").get("/cityops/signals").status_code == 403
