"""Demo data for 杭州市: a deterministic, database-free generator of a plausible city.

`generate_city(size, seed)` returns a `DemoCity` with regions, grids, departments and staff as
lists, and persons and enterprises as fresh generators (1M persons never sit in memory at once).
"""

from __future__ import annotations

import random

from . import names as nm
from .generate import (
    _EPOCH,
    _LAST,
    _Y,
    REFERENCE_DATE,
    SIZES,
    DemoCity,
    DepartmentRow,
    EnterpriseRow,
    GridRow,
    PersonRow,
    RegionRow,
    StaffRow,
    _Community,
    _community_enterprises,
    _community_persons,
    _Plan,
    _structure,
)

__all__ = [
    "REFERENCE_DATE",
    "SIZES",
    "DemoCity",
    "DepartmentRow",
    "EnterpriseRow",
    "GridRow",
    "PersonRow",
    "RegionRow",
    "StaffRow",
    "generate_city",
]


def _departments(regions: list[RegionRow]) -> list[DepartmentRow]:
    out = []
    for reg in regions:
        if reg.level not in ("city", "district"):
            continue
        for kind, full, short in nm.DEPARTMENT_KINDS:
            name = f"{reg.name}{full}"
            if kind == "public_security" and reg.level == "district" and reg.name.endswith("区"):
                name = f"{reg.name}公安分局"
            out.append(DepartmentRow(f"{reg.code}-{kind}", name, short, kind, reg.code))
    return out


_BASE_ROLE = {"government_service": "window_clerk", "data_bureau": "data_officer"}
_FIXED_STAFF = (  # username, region whose residents supply the person, department, region, roles
    ("clerk", "330106", "330106-government_service", "330106", ("window_clerk",)),
    ("staff", "330106", "330106-civil_affairs", "330106", ("dept_staff",)),
    ("grid", "330106", "330106-urban_management", "330106001", ("grid_worker",)),
    ("officer", "330102", "330100-data_bureau", "330100", ("data_officer",)),
    ("leader", "330102", "330100-government_service", "330100", ("leader",)),
    ("admin", "330106", "330100-data_bureau", "330100", ("admin",)),
    ("clerk2", "330102", "330102-government_service", "330102", ("window_clerk",)),
)


def _staff(size: str, plan: _Plan, departments: list[DepartmentRow], grids: list[GridRow]) -> list[StaffRow]:
    rng = random.Random(f"{plan.seed}:staff:{size}")
    r = rng.random
    pending: dict[str, list[_Community]] = {}
    for c in plan.communities:
        pending.setdefault(c.district, []).append(c)
    pools: dict[str, list[PersonRow]] = {d: [] for d in pending}
    lo, hi = _LAST - int(60 * _Y), _LAST - int(22 * _Y)
    epoch = _EPOCH.toordinal()

    def take(district: str) -> PersonRow:
        pool = pools[district]
        while not pool:
            community = pending[district].pop(0)  # IndexError: a district without enough adults
            persons = _community_persons(plan, community)
            pool += [p for p in persons if lo <= p.birth_date.toordinal() - epoch <= hi]
        i = int(r() * len(pool))
        pool[i], pool[-1] = pool[-1], pool[i]
        return pool.pop()

    out = []
    for username, home, dept_code, region, fixed_roles in _FIXED_STAFF:
        p = take(home)
        grid = "330106001G01" if username == "grid" else None
        out.append(StaffRow(username, p.name, p.id_number, dept_code, region, fixed_roles, grid))
    city_homes = list(pools)
    for dept in departments:
        n = 1 if size == "small" else rng.randint(3, 10)
        base = _BASE_ROLE.get(dept.kind, "dept_staff")
        for j in range(n):
            home = dept.region_code if dept.region_code in pools else city_homes[len(out) % len(city_homes)]
            p = take(home)
            roles: tuple[str, ...] = (base, "leader") if j == 0 and size != "small" else (base,)
            username = f"s{len(out) - len(_FIXED_STAFF) + 1:04d}"
            out.append(StaffRow(username, p.name, p.id_number, dept.code, dept.region_code, roles))
    for g in grids:
        if g.code == "330106001G01":
            continue
        district = g.street_code[:6]
        p = take(district)
        username = f"s{len(out) - len(_FIXED_STAFF) + 1:04d}"
        dept_code = f"{district}-urban_management"
        out.append(
            StaffRow(username, p.name, p.id_number, dept_code, g.street_code, ("grid_worker",), g.code)
        )
    return out


def generate_city(size: str, seed: int = 2026) -> DemoCity:
    """The demo city 杭州市 at `size` ("small", "district" or "city"), fully determined by `seed`."""
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
    regions, grids, plan = _structure(size, seed)
    departments = _departments(regions)
    staff = _staff(size, plan, departments, grids)
    # The demo citizen lives in 西湖区, where the demo clerk works, and is married, so the
    # sharing story (婚姻登记信息 used for 不动产登记) is about them.
    home = next((c for c in plan.communities if c.district == "330106"), plan.communities[0])
    people = _community_persons(plan, home)
    spouses = {p.household_no for p in people if p.relation == "配偶"}
    citizen = next((p for p in people if p.relation == "户主" and p.household_no in spouses), people[0])
    enterprise = next(e for c in plan.communities for e in _community_enterprises(plan, c))
    counts = sum(c.persons for c in plan.communities), sum(c.enterprises for c in plan.communities)
    return DemoCity(size, seed, regions, grids, departments, staff, citizen, enterprise, *counts, plan)
