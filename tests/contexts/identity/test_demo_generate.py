"""The demo city generator: valid national identifiers, plausible families, sound geometry."""

from __future__ import annotations

import itertools
import re
import types
from collections import defaultdict
from datetime import date
from typing import Any

import pytest
from stdnum.cn import ric, uscc

from yiwang.contexts.identity.demo import (
    REFERENCE_DATE,
    SIZES,
    DemoCity,
    EnterpriseRow,
    PersonRow,
    generate_city,
)
from yiwang.contexts.identity.demo import divisions as dv
from yiwang.contexts.identity.demo import names as nm
from yiwang.core.codes import (
    ric_birth_date,
    ric_check_digit,
    ric_error,
    ric_gender,
    uscc_error,
)

SLICE = 20_000  # persons taken from the `district` size


@pytest.fixture(scope="module")
def small() -> DemoCity:
    return generate_city("small")


@pytest.fixture(scope="module")
def small_persons(small: DemoCity) -> list[PersonRow]:
    return list(small.persons())


@pytest.fixture(scope="module")
def small_enterprises(small: DemoCity) -> list[EnterpriseRow]:
    return list(small.enterprises())


@pytest.fixture(scope="module")
def district() -> DemoCity:
    return generate_city("district")


@pytest.fixture(scope="module")
def district_persons(district: DemoCity) -> list[PersonRow]:
    return list(itertools.islice(district.persons(), SLICE))


@pytest.fixture(scope="module")
def district_enterprises(district: DemoCity) -> list[EnterpriseRow]:
    return list(itertools.islice(district.enterprises(), 1_000))


def test_sizes_and_exact_counts(small: DemoCity, small_persons, small_enterprises) -> None:
    assert SIZES == {"small": (1_000, 100), "district": (100_000, 10_000), "city": (1_000_000, 100_000)}
    assert small.person_count == len(small_persons) == 1_000
    assert small.enterprise_count == len(small_enterprises) == 100
    assert isinstance(small.persons(), types.GeneratorType)
    assert isinstance(small.enterprises(), types.GeneratorType)
    with pytest.raises(ValueError):
        generate_city("huge")


def test_district_counts(district: DemoCity) -> None:
    assert district.person_count == 100_000
    assert district.enterprise_count == 10_000


def test_identity_numbers_are_valid(small_persons, district_persons) -> None:
    for p in small_persons + district_persons:
        assert ric.is_valid(p.id_number), p
        assert ric_error(p.id_number) is None, p
        assert ric_birth_date(p.id_number) == p.birth_date
        assert ric_gender(p.id_number) == p.gender
        assert date(1930, 1, 1) <= p.birth_date <= REFERENCE_DATE


def test_identifiers_are_unique(small_persons, district_persons) -> None:
    for persons in (small_persons, district_persons):
        assert len({p.id_number for p in persons}) == len(persons)
        assert len({p.phone for p in persons}) == len(persons)
    for p in district_persons:
        assert re.fullmatch(r"1[3-9]\d{9}", p.phone) and p.phone[:3] in nm.PHONE_PREFIXES


def test_every_birth_place_code_is_in_force_in_its_year() -> None:
    def valid(code: str, year: int) -> bool:
        body = f"{code}{year}0615123"
        return ric.is_valid(body + ric_check_digit(body))

    for district_code in dv.BIRTH_CODES:
        for year in range(1930, 2026):
            assert valid(dv.birth_code(district_code, year), year), (district_code, year)
    for code, name, _, first, last in dv.OUTSIDE_BIRTHPLACES:
        for year in range(first, last + 1):
            assert valid(code, year), (code, name, year)
    assert all(any(b[3] <= y <= b[4] for b in dv.OUTSIDE_BIRTHPLACES) for y in range(1930, 2026))


def test_households(small_persons, district_persons) -> None:
    for persons in (small_persons, district_persons):
        households: dict[str, list[PersonRow]] = defaultdict(list)
        for p in persons:
            households[p.household_no].append(p)
        sizes = set()
        for no, members in households.items():
            head = members[0]
            assert [m.relation for m in members].count("户主") == 1
            assert head.relation == "户主"
            assert REFERENCE_DATE.year - head.birth_date.year >= 19
            assert re.fullmatch(r"H\d{12}\d{6}", no) and no[1:13] == head.region_code
            assert {(m.address, m.region_code) for m in members} == {(head.address, head.region_code)}
            assert head.address.startswith("浙江省杭州市") and head.address.endswith("室")
            sizes.add(len(members))
            spouses = [m for m in members if m.relation == "配偶"]
            assert len(spouses) <= 1
            parents = [head, *spouses]
            for s in spouses:
                assert s.gender != head.gender
                assert abs(s.birth_date.year - head.birth_date.year) <= 7
            for child in (m for m in members if m.relation == "子女"):
                for parent in parents:
                    assert 20 <= child.birth_date.year - parent.birth_date.year <= 40
            for elder in (m for m in members if m.relation == "父母"):
                assert 20 <= head.birth_date.year - elder.birth_date.year <= 40
        assert max(sizes) <= 5
    # the full small city has every family size
    sizes = {len(list(g)) for _, g in itertools.groupby(small_persons, key=lambda p: p.household_no)}
    assert sizes == {1, 2, 3, 4, 5}


def test_names_look_chinese(district_persons) -> None:
    surnames = {s for s, _ in nm.SURNAMES}
    for p in district_persons:
        assert 2 <= len(p.name) <= 4
        assert p.name[:1] in surnames or p.name[:2] in surnames
    first_chars = [p.name[0] for p in district_persons]
    assert first_chars.count("王") > first_chars.count("钱") > 0  # weighted by real frequency


def test_credit_codes(small, small_persons, small_enterprises, district_enterprises) -> None:
    ids = {p.id_number: p for p in small_persons}
    industries = {code: name for code, name, _, _ in nm.INDUSTRIES}
    for enterprises in (small_enterprises, district_enterprises):
        assert len({e.credit_code for e in enterprises}) == len(enterprises)
        assert len({e.name for e in enterprises}) == len(enterprises)
        for e in enterprises:
            assert uscc.is_valid(e.credit_code), e
            assert uscc_error(e.credit_code) is None, e
            assert e.credit_code[:2] == "91" and e.credit_code[2:8] == e.region_code[:6]
            assert industries[e.industry_code] == e.industry_name
            assert 10 * 1_000_000 <= e.registered_capital_fen <= 5_000 * 1_000_000
            assert date(1995, 1, 1) <= e.established_on <= REFERENCE_DATE
            assert e.size_class in ("micro", "small", "medium", "large")
            assert e.name.startswith("杭州") and e.name.endswith("公司")
            assert ric.is_valid(e.legal_rep_id_number)
            assert (e.established_on - ric_birth_date(e.legal_rep_id_number)).days >= 18 * 365
    for e in small_enterprises:
        assert e.legal_rep_id_number in ids
        assert ids[e.legal_rep_id_number].region_code == e.region_code
    classes = [e.size_class for e in district_enterprises]
    assert classes.count("micro") + classes.count("small") > 0.8 * len(classes)
    assert len({code for code, *_ in nm.INDUSTRIES}) == len(nm.INDUSTRIES)
    assert all(re.fullmatch(r"\d{4}", code) for code, *_ in nm.INDUSTRIES)


def test_determinism() -> None:
    a, b, c = generate_city("district"), generate_city("district"), generate_city("district", seed=7)
    first = list(itertools.islice(a.persons(), 500))
    assert first == list(itertools.islice(b.persons(), 500))
    assert first == list(itertools.islice(a.persons(), 500))  # persons() is a fresh generator
    assert first != list(itertools.islice(c.persons(), 500))
    assert list(itertools.islice(a.enterprises(), 500)) == list(itertools.islice(b.enterprises(), 500))
    assert a.staff == b.staff and a.regions == b.regions and a.grids == b.grids
    assert a.staff != c.staff


def test_regions_tree(small, district, district_persons) -> None:
    for city in (small, district):
        by_code = {r.code: r for r in city.regions}
        assert len(by_code) == len(city.regions)
        parent_level = {"city": "province", "district": "city", "street": "district", "community": "street"}
        for r in city.regions:
            if r.level == "province":
                assert r.parent_code is None and r.code == "330000"
                continue
            parent = by_code[r.parent_code]
            assert parent.level == parent_level[r.level]
            if r.level in ("street", "community"):
                assert r.code.startswith(parent.code)
                assert len(r.code) == {"street": 9, "community": 12}[r.level]
            assert (r.geometry is not None) == (r.level in ("district", "street"))
            if r.level == "community":
                assert r.name.endswith("社区")
    districts = [r for r in small.regions if r.level == "district"]
    assert [d.name for d in districts] == ["上城区", "西湖区", "滨江区"]
    streets = {r.code: r.name for r in small.regions if r.level == "street"}
    assert streets["330106001"] == "北山街道" and streets["330102001"] == "湖滨街道"
    assert sum(1 for r in small.regions if r.level == "street") == 9
    assert sum(1 for r in small.regions if r.level == "community") == 18
    assert len(small.grids) == 18
    assert {r.code for r in district.regions if r.level == "district"} == {d.code for d in dv.DISTRICTS}
    for d in dv.DISTRICTS:
        n_streets = sum(1 for r in district.regions if r.level == "street" and r.parent_code == d.code)
        assert 5 <= n_streets <= 8
    communities = {r.code for r in district.regions if r.level == "community"}
    assert {p.region_code for p in district_persons} <= communities


def _shape(geometry: dict) -> Any:
    from shapely.geometry import shape

    assert geometry["type"] == "Polygon"
    for lon, lat in geometry["coordinates"][0]:
        assert round(lon, 6) == lon and round(lat, 6) == lat
        assert 118.9 < lon < 120.8 and 29.1 < lat < 30.7
    g = shape(geometry)
    assert g.is_valid and g.area > 0
    return g


def _tiles(parent: Any, children: list[Any]) -> None:
    """The children cover the parent without gaps or overlaps (to the 1e-6 degree snapping)."""
    from shapely.ops import unary_union

    union = unary_union(children)
    assert parent.symmetric_difference(union).area / parent.area < 1e-4
    assert (sum(c.area for c in children) - union.area) / parent.area < 1e-4


def test_geometry(small, district) -> None:
    """Shapes that read as a city: Voronoi cells, not rows of rectangles; each level tiles its parent."""
    for city in (small, district):
        shapes = {r.code: _shape(r.geometry) for r in city.regions if r.geometry}
        districts = [shapes[r.code] for r in city.regions if r.level == "district"]
        for a, b in itertools.combinations(districts, 2):
            assert a.intersection(b).area < 1e-9
        for d in (r for r in city.regions if r.level == "district"):
            _tiles(
                shapes[d.code],
                [shapes[r.code] for r in city.regions if r.parent_code == d.code and r.level == "street"],
            )
        by_street = defaultdict(list)
        for g in city.grids:
            assert re.fullmatch(r"\d{9}G\d{2}", g.code) and g.code.startswith(g.street_code)
            by_street[g.street_code].append(_shape(g.geometry))
        for street, grids in by_street.items():
            _tiles(shapes[street], grids)
        rectangles = sum(1 for g in city.grids if len(g.geometry["coordinates"][0]) == 5)
        assert rectangles < len(city.grids) / 2, "grids are still mostly rectangles"
    counts = [
        len([g for g in district.grids if g.street_code == s])
        for s in {g.street_code for g in district.grids}
    ]
    assert min(counts) >= 4 and max(counts) <= 8
    assert small.grids[0].name.endswith("第1网格")


def test_departments(small, district) -> None:
    for city in (small, district):
        codes = {d.code: d for d in city.departments}
        n_regions = sum(1 for r in city.regions if r.level in ("city", "district"))
        assert len(codes) == len(city.departments) == 14 * n_regions
    codes = {d.code: d for d in district.departments}
    assert codes["330100-public_security"].name == "杭州市公安局"
    assert codes["330106-public_security"].name == "西湖区公安分局"
    assert codes["330106-civil_affairs"].name == "西湖区民政局"
    assert codes["330106-civil_affairs"].short_name == "民政"
    assert codes["330100-data_bureau"].name == "杭州市数据资源管理局"
    assert codes["330122-public_security"].name == "桐庐县公安局"
    assert {d.kind for d in district.departments} == {k for k, _, _ in nm.DEPARTMENT_KINDS}


def test_staff(small, small_persons, district) -> None:
    persons = {p.id_number: p for p in small_persons}
    for city in (small, district):
        usernames = [s.username for s in city.staff]
        assert usernames[:7] == ["clerk", "staff", "grid", "officer", "leader", "admin", "clerk2"]
        assert len(set(usernames)) == len(usernames)
        assert len({s.id_number for s in city.staff}) == len(city.staff)
        departments = {d.code for d in city.departments}
        fixed = {s.username: s for s in city.staff[:7]}
        assert fixed["clerk"].roles == ("window_clerk",)
        assert fixed["clerk"].department_code == "330106-government_service"
        assert fixed["staff"].department_code == "330106-civil_affairs" and fixed["staff"].roles == (
            "dept_staff",
        )
        assert fixed["grid"].roles == ("grid_worker",) and fixed["grid"].grid_code == "330106001G01"
        assert fixed["officer"].department_code == "330100-data_bureau"
        assert fixed["officer"].roles == ("data_officer",)
        assert fixed["leader"].department_code == "330100-government_service" and fixed["leader"].roles == (
            "leader",
        )
        assert fixed["admin"].department_code == "330100-data_bureau" and fixed["admin"].roles == ("admin",)
        assert fixed["clerk2"].department_code == "330102-government_service"
        assert fixed["clerk2"].region_code == "330102"
        roles = {"window_clerk", "dept_staff", "grid_worker", "data_officer", "leader", "admin"}
        for s in city.staff:
            assert s.department_code in departments
            assert set(s.roles) <= roles
            assert ric.is_valid(s.id_number)
            assert 21 <= REFERENCE_DATE.year - ric_birth_date(s.id_number).year <= 61
        for s in city.staff[7:]:
            assert re.fullmatch(r"s\d{4}", s.username)
        workers = {s.grid_code for s in city.staff if "grid_worker" in s.roles}
        assert workers == {g.code for g in city.grids}
        staffed = {s.department_code for s in city.staff}
        assert departments <= staffed
    for s in small.staff:
        assert persons[s.id_number].name == s.name


def test_demo_citizen_and_enterprise(small, small_persons, small_enterprises) -> None:
    assert small.citizen_demo in small_persons
    assert small.citizen_demo.relation == "户主"
    assert small.citizen_demo.region_code.startswith("330106")  # where the demo clerk works
    household = [p for p in small_persons if p.household_no == small.citizen_demo.household_no]
    assert any(p.relation == "配偶" for p in household)  # married: the sharing demo reads the marriage
    assert small.enterprise_demo == small_enterprises[0]
