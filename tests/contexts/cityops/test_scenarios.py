"""The scenarios: an illegal-parking report tells the owner by SMS with the three nearest car
parks that have room; a waterlogging reading over the threshold opens an urgent event that its
department hears of by SMS; Webster's method times a congested intersection."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from tests.conftest import csrf_of
from tests.contexts.cityops.helpers import GRID, point_in
from yiwang.contexts.cityops import scenarios
from yiwang.contexts.cityops.scenarios import Phase
from yiwang.core.db import transaction
from yiwang.core.events_dispatch import sweep


def _messages(template: str) -> list[tuple[str, str, str]]:
    with transaction() as s:
        rows = s.execute(text(
            "SELECT n.body, n.sms_text, d.channel FROM notification n JOIN notification_delivery d "
            "ON d.notification_id = n.id WHERE n.template = :t ORDER BY n.id"), {"t": template})  # fmt: skip
        return [(b, m or "", c) for b, m, c in rows]


def test_an_illegal_parking_report_texts_the_owner_with_the_nearest_free_car_parks(as_user) -> None:
    grid = as_user("grid")
    lon, lat = point_in(GRID, -0.0004, 0.0002)
    r = grid.post("/api/v1/cityops/events", json={"category_code": "20505", "lon": lon, "lat": lat, "plate": "浙A12345",
                                                   "address": "文三路 88 号消防通道", "description": "小汽车占用消防通道"},
                  headers={"X-CSRF-Token": csrf_of(grid)})  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["department"] == "杭州市公安局西湖区分局" or "公安" in r.json()["department"]
    sweep(grace=timedelta(0))
    sent = _messages("cityops.owner_move_car")
    assert {c for _, _, c in sent} == {"in_app", "sms"}
    sms = sent[-1][1]
    assert "浙A12345" in sms and "文三路 88 号消防通道" in sms
    with transaction() as s:
        parks = s.execute(text("SELECT name, lon, lat, free_spaces FROM city_car_park")).all()
    expected = scenarios.nearest_parks([type("P", (), {"id": i, "name": n, "address": "", "lon": x, "lat": y,
                                                       "free_spaces": f})() for i, (n, x, y, f) in enumerate(parks)],
                                       lon, lat)  # fmt: skip
    assert len(expected) == 3 and all(p.name in sms for p in expected)
    full = [n for n, _, _, f in parks if f == 0]
    assert full and not any(n in sms for n in full)


def test_a_waterlogging_reading_over_the_threshold_opens_one_urgent_event(as_user) -> None:
    admin = as_user("admin")
    lon, lat = point_in("330106002G01")
    reading = {
        "sensor_id": "WL-0001",
        "kind": "water_level",
        "value": 8.0,
        "lon": lon,
        "lat": lat,
        "address": "隧道口",
    }
    h = {"X-CSRF-Token": csrf_of(admin)}
    assert admin.post("/api/v1/cityops/sensors/readings", json=reading, headers=h).json() == {
        "event_id": None
    }
    high = admin.post("/api/v1/cityops/sensors/readings", json={**reading, "value": 23.5}, headers=h).json()
    assert high["event_id"]
    again = admin.post("/api/v1/cityops/sensors/readings", json={**reading, "value": 25.0}, headers=h).json()
    assert again == {"event_id": None}  # the open event already stands for it
    e = admin.get(f"/api/v1/cityops/events/{high['event_id']}").json()
    assert e["urgency"] == "urgent" and e["status"] == "dispatched" and e["category_code"] == "20405"
    sweep(grace=timedelta(0))
    assert "sms" in {c for _, _, c in _messages("cityops.event_dispatched")}


def test_webster_times_a_congested_intersection_and_lowers_its_delay() -> None:
    phases = [
        Phase("东西直行", 700, 1800, 55),
        Phase("南北直行", 380, 1800, 35),
        Phase("东西左转", 150, 1600, 18),
    ]
    plan = scenarios.webster(phases, cycle_now=120, lost_time=12)
    y = 700 / 1800 + 380 / 1800 + 150 / 1600
    assert plan.flow_ratio == round(y, 3)
    assert plan.cycle_after == round((1.5 * 12 + 5) / (1 - y), 1)
    greens = [p.green_after for p in plan.phases]
    assert abs(sum(greens) - (plan.cycle_after - 12)) < 0.5
    assert greens[0] > greens[1] > greens[2]  # in proportion to the flow ratios
    assert plan.delay_before is not None and plan.delay_after is not None
    assert 0 < plan.delay_after < plan.delay_before  # the 120 s cycle is too long for these flows
    jammed = scenarios.webster([Phase("a", 1700, 1800, 50), Phase("b", 900, 1800, 50)], 120, 10)
    assert jammed.cycle_after is None  # Y >= 1: no cycle serves it; shown as over-saturated
