"""The demo city's city operations: the catalogue, dispatch rules, the car-park occupancy feed,
registered vehicles, intersections with their flow feed, and a few events. Idempotent."""

from __future__ import annotations

import random

from shapely.geometry import shape
from sqlalchemy.orm import Session

from yiwang.contexts import identity
from yiwang.contexts.cityops import geo
from yiwang.contexts.cityops import repository as repo
from yiwang.contexts.cityops.catalogue import CATEGORIES, ILLEGAL_PARKING
from yiwang.contexts.cityops.models import CarPark, CityCategory, DispatchRule, Intersection, Vehicle

DEMO_PLATE = "浙A12345"
_PARK_NAMES = ("文三路地下停车场", "黄龙体育中心停车场", "西溪银泰停车库", "古荡公共停车场", "学院路立体车库",
               "万塘路停车场", "教工路路内泊位", "翠苑农贸市场停车场")  # fmt: skip
_CROSSINGS = ("文三路与学院路口", "天目山路与古翠路口", "教工路与文二路口")


def seed(session: Session) -> dict[str, int]:
    counts: dict[str, int] = {}
    have = {c.code for c in repo.categories(session)}
    rows = [
        {"code": c.code, "branch": c.branch, "major_code": c.major_code, "major_name": c.major_name, "name": c.name,
         "department_kind": c.department_kind, "sla_hours": c.sla_hours, "urgent_sla_hours": c.urgent_sla_hours,
         "keywords": ""}
        for c in CATEGORIES if c.code not in have
    ]  # fmt: skip
    repo.insert_categories(session, rows)
    counts["city categories"] = len(rows)
    if not repo.dispatch_rules(session):
        rules = []
        for d in identity.departments(session):
            if d.kind == "public_security" and len(d.region_code) == 6 and d.region_code != "330100":
                rules.append(DispatchRule(category_prefix=ILLEGAL_PARKING, area_prefix=d.region_code,
                                          department_id=d.id, note="机动车乱停放由辖区公安交警处置"))  # fmt: skip
        repo.add_all(session, rules)
        counts["dispatch rules"] = len(rules)
    grids = identity.grid_shapes(session)
    if grids and not repo.car_parks(session):
        rng = random.Random("cityops:car-parks")
        home = next((g for g in grids if g.code == "330106001G01"), grids[0])
        c = shape(home.geometry).centroid
        parks = []
        for i, name in enumerate(_PARK_NAMES):
            cap = rng.choice((80, 120, 200, 360, 500))
            free = 0 if i == 2 else rng.randint(3, cap // 3)  # one is full: it must not be offered
            parks.append(CarPark(name=name, address=f"西湖区{name.replace('停车场', '').replace('路内泊位', '')}",
                                 lon=round(c.x + (rng.random() - 0.5) * 0.03, 6),
                                 lat=round(c.y + (rng.random() - 0.5) * 0.02, 6), capacity=cap, free_spaces=free))  # fmt: skip
        repo.add_all(session, parks)
        counts["car parks"] = len(parks)
    citizen = identity.account(session, "citizen")
    if citizen is not None and repo.vehicle(session, DEMO_PLATE) is None:
        repo.add(session, Vehicle(plate=DEMO_PLATE, owner_user_id=citizen.id))
        counts["vehicles"] = 1
    if grids and not repo.intersections(session):
        rng = random.Random("cityops:intersections")
        c = shape(grids[0].geometry).centroid
        rows_i = []
        for i, name in enumerate(_CROSSINGS):
            phases = [
                {"name": "东西直行", "flow": rng.randint(600, 750), "saturation": 1800, "green": 55},
                {"name": "南北直行", "flow": rng.randint(330, 450), "saturation": 1800, "green": 35},
                {"name": "东西左转", "flow": rng.randint(120, 180), "saturation": 1600, "green": 18},
            ]
            rows_i.append(Intersection(name=name, lon=round(c.x + 0.004 * i, 6), lat=round(c.y - 0.003 * i, 6),
                                       phases=phases, cycle_s=120.0, lost_time_s=12.0))  # fmt: skip
        repo.add_all(session, rows_i)
        counts["intersections"] = len(rows_i)
    geo.forget()
    return counts


def category_rows(session: Session) -> list[CityCategory]:
    return repo.categories(session)
