"""Deterministic generator of the demo city 杭州市: regions, grids, departments, staff, persons, enterprises.

Persons and enterprises are produced per community ("chunk"), each chunk from its own
`random.Random(f"{seed}:…:{community_code}")`, so any chunk can be regenerated alone and memory
stays flat. Identity numbers, phones and credit codes are unique by construction:
- the birth-place code is one in force in the birth year (see `divisions.BIRTH_CODES`);
- the 3-digit sequence code of an identity number is drawn from residues reserved for the
  community (k ≡ community index - 500·day (mod n), n = communities that may use the
  birth-place code), so two communities never produce the same (birth place, date, sequence);
- phones and organisation codes are affine bijections of the global row index.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from math import gcd
from typing import Any, NamedTuple

from yiwang.core.codes import _USCC_ALPHABET, ric_check_digit, uscc_check_char

from . import divisions as dv
from . import names as nm
from . import shapes

SIZES: dict[str, tuple[int, int]] = {
    "small": (1_000, 100),
    "district": (100_000, 10_000),
    "city": (1_000_000, 100_000),
}

REFERENCE_DATE = date(2025, 12, 31)  # "today" of the demo data: ages are counted to it
_EPOCH = date(1930, 1, 1)
_LAST = (REFERENCE_DATE - _EPOCH).days
_Y = 365.2425
_D1980 = (date(1980, 1, 1) - _EPOCH).days
_D1995 = (date(1995, 1, 1) - _EPOCH).days
_D2000 = (date(2000, 1, 1) - _EPOCH).days
_D2015_10 = (date(2015, 10, 1) - _EPOCH).days
_MIN_GAP, _MAX_GAP = 7320, 14600  # days between a parent's and a child's birth (20-40 years)


@dataclass(frozen=True, slots=True)
class RegionRow:
    code: str
    name: str
    level: str  # province | city | district | street | community
    parent_code: str | None
    geometry: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class GridRow:
    code: str
    name: str
    street_code: str
    geometry: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DepartmentRow:
    code: str
    name: str
    short_name: str
    kind: str
    region_code: str


@dataclass(frozen=True, slots=True)
class PersonRow:
    id_number: str
    name: str
    gender: str
    birth_date: date
    phone: str
    address: str
    region_code: str  # community code
    household_no: str
    relation: str  # 户主 | 配偶 | 子女 | 父母


@dataclass(frozen=True, slots=True)
class EnterpriseRow:
    credit_code: str
    name: str
    legal_rep_id_number: str
    address: str
    industry_code: str
    industry_name: str
    registered_capital_fen: int
    established_on: date
    size_class: str  # micro | small | medium | large
    region_code: str  # community code


@dataclass(frozen=True, slots=True)
class StaffRow:
    username: str
    name: str
    id_number: str
    department_code: str
    region_code: str  # the department's region; the street for grid workers
    roles: tuple[str, ...]
    grid_code: str | None = None


class _Community(NamedTuple):
    code: str
    district: str
    prefix: str  # 浙江省杭州市西湖区北山街道
    short: str  # 西湖
    number: int  # index among all communities
    own: tuple[str, ...]  # birth-place code of people born here, by birth year - 1930
    slots: dict[str, tuple[int, int]]  # birth-place code -> (index, count) among communities using it
    roads: tuple[str, ...]
    persons: int
    person_offset: int
    enterprises: int
    enterprise_offset: int
    enterprise_local_offset: int  # among the district's enterprises


@dataclass(frozen=True, slots=True)
class _Plan:
    seed: int
    communities: tuple[_Community, ...]


def _coprime(a: int, m: int) -> int:
    while gcd(a, m) != 1:
        a += 1
    return a


_YEARS = range(_EPOCH.year, REFERENCE_DATE.year + 1)
_OUTSIDE_BY_YEAR = tuple(  # weighted birth places outside the city, by birth year - 1930
    nm.weighted((code, w) for code, _, w, first, last in dv.OUTSIDE_BIRTHPLACES if first <= y <= last)
    for y in _YEARS
)
_BIRTH_PLACES = [c for hist in dv.BIRTH_CODES.values() for _, c in hist] + [
    b[0] for b in dv.OUTSIDE_BIRTHPLACES
]
_CODE_INDEX = {code: i for i, code in enumerate(dict.fromkeys(_BIRTH_PLACES))}  # < 128 codes
_TRADE = nm.TRADE
_TRADE_SPACE = len(_TRADE) * (len(_TRADE) - 1)
_SEQ3 = tuple(f"{i:03d}" for i in range(1000))
_PHONE_MOD = len(nm.PHONE_PREFIXES) * 10**8
_PHONE_MUL = _coprime(2_654_435_761, _PHONE_MOD)
_ORG_MUL = _coprime(54_435_761, 10**8)
_MA_MUL = _coprime(879_428_399, 31**6)
_TRADE_MUL = _coprime(7_919 * 13, _TRADE_SPACE)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@cache
def _days() -> tuple[tuple[date, ...], tuple[str, ...], tuple[int, ...], tuple[int, ...]]:
    """Every day from 1930-01-01 to REFERENCE_DATE: date, YYYYMMDD, year - 1930; and year starts."""
    days = tuple(_EPOCH + timedelta(i) for i in range(_LAST + 1))
    ymd = tuple(f"{d.year:04d}{d.month:02d}{d.day:02d}" for d in days)
    starts = tuple((date(y, 1, 1) - _EPOCH).days for y in _YEARS)
    return days, ymd, tuple(d.year - _EPOCH.year for d in days), starts


def _org_check(body8: str) -> str:
    """GB 11714 check character of an organisation code."""
    values = (int(c) if c.isdigit() else ord(c) - 55 for c in body8)  # A=10 … Z=35
    total = sum(v * w for v, w in zip(values, _ORG_WEIGHTS, strict=True))
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainder), summing exactly to `total`."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: out[i] - raw[i])[: total - sum(out)]:
        out[i] += 1
    return out


def _structure(size: str, seed: int) -> tuple[list[RegionRow], list[GridRow], _Plan]:
    persons, enterprises = SIZES[size]
    small = size == "small"
    rng = random.Random(f"{seed}:layout:{size}")
    r = rng.random
    rects = dv.layout_rects(small, r)
    districts = [dv.DISTRICT_BY_CODE[c] for c in dv.SMALL_DISTRICTS] if small else list(dv.DISTRICTS)
    regions = [
        RegionRow(dv.PROVINCE[0], dv.PROVINCE[1], "province", None, None),
        RegionRow(dv.CITY[0], dv.CITY[1], "city", dv.PROVINCE[0], None),
    ]
    streets: list[RegionRow] = []
    communities: list[RegionRow] = []
    grids: list[GridRow] = []
    raw: list[tuple[dv.District, str, str]] = []  # (district, street name, community code)
    for d in districts:
        regions.append(RegionRow(d.code, d.name, "district", dv.CITY[0], dv.polygon(rects[d.code])))
        n_streets = 3 if small else rng.randint(5, 8)
        street_rects = dv.tile(rects[d.code], n_streets, r)
        n_comms = [2 if small else rng.randint(4, 6) for _ in range(n_streets)]
        comm_names = rng.sample(nm.COMMUNITY_NAMES, sum(n_comms))
        for si, sname in enumerate(dv.street_names(d, n_streets)):
            scode = f"{d.code}{si + 1:03d}"
            streets.append(RegionRow(scode, sname, "street", d.code, dv.polygon(street_rects[si])))
            n_grids = 2 if small else rng.randint(4, 8)
            for gi, grect in enumerate(dv.tile(street_rects[si], n_grids, r)):
                gcode = f"{scode}G{gi + 1:02d}"
                grids.append(GridRow(gcode, f"{sname}第{gi + 1}网格", scode, dv.polygon(grect)))
            for ci in range(n_comms[si]):
                ccode = f"{scode}{ci + 1:03d}"
                communities.append(RegionRow(ccode, comm_names.pop() + "社区", "community", scode, None))
                raw.append((d, sname, ccode))
    regions += streets + communities

    # person and enterprise quotas: districts by weight, communities evenly with some spread
    p_quota: list[int] = []
    e_quota: list[int] = []
    p_d = _apportion(persons, [d.population for d in districts])
    e_d = _apportion(enterprises, [d.enterprises for d in districts])
    for di, d in enumerate(districts):
        n_local = sum(1 for x in raw if x[0] is d)
        p_quota += _apportion(p_d[di], [0.6 + 0.8 * r() for _ in range(n_local)])
        e_quota += _apportion(e_d[di], [0.5 + r() for _ in range(n_local)])
        if e_d[di] > _TRADE_SPACE:
            raise ValueError(f"too many enterprises in {d.name} for unique trade names")
    users: dict[str, list[str]] = {}  # birth-place code -> communities whose people may carry it
    for d, _, ccode in raw:
        for _, code in dv.BIRTH_CODES[d.code]:
            users.setdefault(code, []).append(ccode)
    plan: list[_Community] = []
    p_off = e_off = 0
    for i, (d, sname, ccode) in enumerate(raw):
        own = tuple(dv.birth_code(d.code, y) for y in _YEARS)
        slots = {code: (users[code].index(ccode), len(users[code])) for code in set(own)}
        n_roads = 3 + int(r() * 3)
        stems = rng.sample(nm.ROAD_STEMS, n_roads)
        roads = tuple(s + nm.ROAD_SUFFIX_TABLE[int(r() * len(nm.ROAD_SUFFIX_TABLE))] for s in stems)
        e_local = sum(c.enterprises for c in plan if c.district == d.code)
        prefix = f"{dv.PROVINCE[1]}{dv.CITY[1]}{d.name}{sname}"
        quotas = (p_quota[i], p_off, e_quota[i], e_off, e_local)
        plan.append(_Community(ccode, d.code, prefix, d.short, i, own, slots, roads, *quotas))
        p_off += p_quota[i]
        e_off += e_quota[i]
    regions, grids = shapes.reshape(regions, grids, dv.SMALL_BBOX if small else dv.CITY_BBOX, seed, size)
    return regions, grids, _Plan(seed, tuple(plan))


def _day_for_age(r: Any, lo: float, hi: float) -> int:
    d = _LAST - int((lo + r() * (hi - lo)) * _Y)
    return d if d > 0 else 0


def _family(r: Any) -> list[tuple[int, bool, str, str]]:
    """Members of one household: (birth day index, male, relation, surname), head first."""

    def surname() -> str:
        return nm.SURNAME_TABLE[int(r() * len(nm.SURNAME_TABLE))]

    x = r()
    if x < 0.22:
        d = _day_for_age(r, 20, 40) if r() < 0.6 else _day_for_age(r, 55, 92)
        return [(d, r() < 0.5, "户主", surname())]
    if x < 0.48:
        head = _day_for_age(r, 22, 38) if r() < 0.5 else _day_for_age(r, 50, 88)
        kids, parent = 0, False
    elif x < 0.86:
        head = _day_for_age(r, 28, 58)
        y = r()
        kids, parent = (1 if y < 0.55 else 2 if y < 0.93 else 3), False
    else:
        head = _day_for_age(r, 30, 55)
        kids, parent = (1 if r() < 0.6 else 2), True
    head_male = r() < 0.75
    head_surname = surname()
    members = [(head, head_male, "户主", head_surname)]
    father_surname = head_surname
    if x < 0.48 or r() < 0.9:
        gap = int((r() * 7 - 1.5) * _Y)  # husbands a little older
        spouse = head + gap if head_male else head - gap
        spouse = min(max(spouse, 0), _LAST - int(20 * _Y))
        spouse_surname = surname()
        members.append((spouse, not head_male, "配偶", spouse_surname))
        if not head_male:
            father_surname = spouse_surname
    born = [m[0] for m in members]
    lo, hi = max(born) + _MIN_GAP, min(min(born) + _MAX_GAP, _LAST)
    for _ in range(kids if lo <= hi else 0):
        child_surname = father_surname if r() < 0.9 else head_surname
        members.append((lo + int(r() * (hi - lo + 1)), r() < 0.515, "子女", child_surname))
    if parent:
        p = head - int((22 + r() * 16) * _Y)
        if p >= 0:
            male = r() < 0.4
            members.append((p, male, "父母", head_surname if male else surname()))
    return members


def _phone(index: int, seed: int) -> str:
    m = (index * _PHONE_MUL + seed * 7_919 + 12_345) % _PHONE_MOD
    return f"{nm.PHONE_PREFIXES[m // 10**8]}{m % 10**8:08d}"


def _community_persons(plan: _Plan, c: _Community) -> list[PersonRow]:
    """All persons of one community, regenerated identically on every call."""
    days, ymd, years, year_starts = _days()
    rng = random.Random(f"{plan.seed}:persons:{c.code}")
    r = rng.random
    n_all = len(plan.communities)
    used: set[int] = set()
    out: list[PersonRow] = []
    serial = 0
    while len(out) < c.persons:
        serial += 1
        household = f"H{c.code}{serial:06d}"
        road = c.roads[int(r() * len(c.roads))]
        address = (
            f"{c.prefix}{road}{1 + int(r() * 300)}号{1 + int(r() * 30)}幢{1 + int(r() * 6)}单元"
            f"{1 + int(r() * 33)}{1 + int(r() * 4):02d}室"
        )
        for day, male, relation, surname in _family(r)[: c.persons - len(out)]:
            year = years[day]
            if r() < (0.3 if day < _D2000 else 0.06):
                pool = _OUTSIDE_BY_YEAR[year]
                bp = pool[int(r() * len(pool))]
                g, n = c.number, n_all
            else:
                bp = c.own[year]
                g, n = c.slots[bp]
            code_index = _CODE_INDEX[bp]
            bit = 1 if male else 0
            while True:  # reserved sequence residues; moves the birthday within its year if full
                k0 = (g - 500 * day) % n
                count = (500 - k0 + n - 1) // n
                t0 = int(r() * count) if count > 0 else 0
                for t in range(count):
                    seq = 2 * (k0 + n * ((t0 + t) % count)) + bit
                    key = (day * 1000 + seq) * 128 + code_index
                    if key not in used:
                        break
                else:
                    day = day + 1 if day < _LAST and years[day + 1] == year else year_starts[year]
                    continue
                used.add(key)
                break
            body = bp + ymd[day] + _SEQ3[seq]
            if day < _D1980:
                chars, single = (nm.MALE_OLD if male else nm.FEMALE_OLD), 0.3
            else:
                chars, single = (nm.MALE_NEW if male else nm.FEMALE_NEW), 0.12
            given = chars[int(r() * len(chars))]
            if r() >= single:
                given += chars[int(r() * len(chars))]
            id_number, phone = body + ric_check_digit(body), _phone(c.person_offset + len(out), plan.seed)
            gender = "M" if male else "F"
            row = PersonRow(
                id_number, surname + given, gender, days[day], phone, address, c.code, household, relation
            )
            out.append(row)
    return out


def _credit_code(district: str, index: int, day: int, seed: int) -> str:
    if day >= _D2015_10:  # codes issued after the 2015 reform: MA + 6 characters
        v = (index * _MA_MUL + seed * 7_919 + 271_828_182) % 31**6
        chars = []
        for _ in range(6):
            v, rem = divmod(v, 31)
            chars.append(_USCC_ALPHABET[rem])
        body8 = "MA" + "".join(reversed(chars))
    else:
        body8 = f"{(index * _ORG_MUL + seed * 7_919 + 31_415_926) % 10**8:08d}"
    body17 = "91" + district + body8 + _org_check(body8)
    return body17 + uscc_check_char(body17)


def _community_enterprises(plan: _Plan, c: _Community) -> list[EnterpriseRow]:
    if not c.enterprises:
        return []
    days = _days()[0]
    persons = _community_persons(plan, c)
    epoch = _EPOCH.toordinal()
    adults = [p for p in persons if 22 <= (_LAST - (p.birth_date.toordinal() - epoch)) / _Y < 75]
    adults = adults or [p for p in persons if p.relation == "户主"]
    rng = random.Random(f"{plan.seed}:enterprises:{c.code}")
    r = rng.random
    out = []
    for i in range(c.enterprises):
        rep = adults[int(r() * len(adults))]
        lo = max(_D1995, rep.birth_date.toordinal() - epoch + int(18 * _Y) + 1)
        day = lo + int(r() ** 0.55 * (_LAST - lo))
        code, industry, _, words = nm.INDUSTRY_TABLE[int(r() * len(nm.INDUSTRY_TABLE))]
        size_class = nm.SIZE_CLASS_TABLE[int(r() * len(nm.SIZE_CLASS_TABLE))]
        capitals = nm.CAPITAL_WAN[size_class]
        m = ((c.enterprise_local_offset + i) * _TRADE_MUL + plan.seed) % _TRADE_SPACE
        a, b = divmod(m, len(_TRADE) - 1)
        trade = _TRADE[a] + _TRADE[b + 1 if b >= a else b]
        if size_class == "large" and r() < 0.5:
            suffix = "股份有限公司"
        else:
            suffix = nm.COMPANY_SUFFIX_TABLE[int(r() * len(nm.COMPANY_SUFFIX_TABLE))]
        road = c.roads[int(r() * len(c.roads))]
        address = f"{c.prefix}{road}{1 + int(r() * 300)}号"
        if r() < 0.6:
            address += f"{1 + int(r() * 12)}幢{1 + int(r() * 20)}{1 + int(r() * 30):02d}室"
        credit_code = _credit_code(c.district, c.enterprise_offset + i, day, plan.seed)
        name = f"杭州{c.short}{trade}{words[int(r() * len(words))]}{suffix}"
        capital = capitals[int(r() * len(capitals))] * 1_000_000  # 10k yuan in fen
        out.append(EnterpriseRow(credit_code, name, rep.id_number, address, code, industry, capital,
                                 days[day], size_class, c.code))  # fmt: skip
    return out


@dataclass(frozen=True, slots=True)
class DemoCity:
    size: str
    seed: int
    regions: list[RegionRow]
    grids: list[GridRow]
    departments: list[DepartmentRow]
    staff: list[StaffRow]
    citizen_demo: PersonRow
    enterprise_demo: EnterpriseRow
    person_count: int
    enterprise_count: int
    _plan: _Plan = field(repr=False, compare=False)

    def persons(self) -> Iterator[PersonRow]:
        """All persons, community by community; a fresh generator on every call."""
        for c in self._plan.communities:
            yield from _community_persons(self._plan, c)

    def enterprises(self) -> Iterator[EnterpriseRow]:
        """All enterprises; legal representatives are adults of the same community."""
        for c in self._plan.communities:
            yield from _community_enterprises(self._plan, c)
