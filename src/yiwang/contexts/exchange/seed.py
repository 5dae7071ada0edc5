"""Fill the demo providers' source tables from the generated city (resumable, idempotent).

Derived plausibly from each household: 户籍 for everyone, 婚姻登记 for couples, 社保 for
working-age adults, 出生医学证明 for those born since 1996, 不动产 for household heads,
企业登记 and 纳税信用 for every enterprise. Values are deterministic per person.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from itertools import groupby, islice
from typing import Any

from sqlalchemy.orm import Session

from yiwang.contexts import identity
from yiwang.contexts.exchange.sources import SOURCE_TABLES
from yiwang.contexts.identity.demo import DemoCity, EnterpriseRow, PersonRow
from yiwang.core import crypto
from yiwang.core.db import analyze, bulk_insert, transaction, utcnow
from yiwang.core.progress import load_resumable

HOSPITALS = (
    "浙江大学医学院附属妇产科医院",
    "杭州市妇产科医院",
    "浙江省人民医院",
    "杭州市第一人民医院",
    "西湖区妇幼保健院",
)
ETHNICITY = ("汉族",) * 46 + ("回族", "满族", "畲族", "土家族")


def _h(*parts: object) -> int:
    return int.from_bytes(hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest(), "big")


def _id(value: str | None) -> tuple[bytes | None, str | None]:
    if not value:
        return None, None
    idx = crypto.blind_index(value, "ric")
    return crypto.encrypt(value, idx.encode()), idx


def _district(region_code: str) -> str:
    return region_code[:6]


def _families(persons: Iterable[PersonRow]) -> Iterator[list[PersonRow]]:
    for _no, members in groupby(persons, key=lambda p: p.household_no):
        yield list(members)


def _age(p: PersonRow, today: date) -> int:
    return (
        today.year - p.birth_date.year - ((today.month, today.day) < (p.birth_date.month, p.birth_date.day))
    )


def _source_rows(
    city: DemoCity, employers: list[EnterpriseRow], today: date
) -> Iterator[tuple[str, dict[str, Any]]]:
    for family in _families(city.persons()):
        head = next((p for p in family if p.relation == "户主"), family[0])
        spouse = next((p for p in family if p.relation == "配偶"), None)
        mother = next((p for p in (head, spouse) if p is not None and p.gender == "F"), None)
        father = next((p for p in (head, spouse) if p is not None and p.gender == "M"), None)
        for p in family:
            h = _h(p.id_number)
            base = {"_person": p.id_number, "region_code": p.region_code}
            yield "src_household", {**base, "id_number": p.id_number, "name": p.name,
                                    "gender": "1" if p.gender == "M" else "2", "birth_date": p.birth_date,
                                    "ethnicity": ETHNICITY[h % len(ETHNICITY)], "household_no": p.household_no,
                                    "relation": p.relation, "address": p.address}  # fmt: skip
            partner = spouse if p is head else head if p is spouse else None
            if partner is not None:
                married = max(p.birth_date, partner.birth_date) + timedelta(
                    days=365 * 24 + _h(head.id_number) % 2000
                )
                yield "src_marriage", {**base, "id_number": p.id_number, "name": p.name, "marital_status": "已婚",
                                       "spouse_name": partner.name, "spouse_id_number": partner.id_number,
                                       "registered_on": min(married, today),
                                       "certificate_no": f"J{_district(p.region_code)}-{min(married, today).year}-{_h(head.household_no) % 1000000:06d}",
                                       "registry_office": "杭州市民政局婚姻登记处"}  # fmt: skip
            elif _age(p, today) >= 30 and h % 7 == 0:
                yield "src_marriage", {**base, "id_number": p.id_number, "name": p.name, "marital_status": "离婚",
                                       "spouse_name": None, "spouse_id_number": None,
                                       "registered_on": today - timedelta(days=h % 3000),
                                       "certificate_no": f"L{_district(p.region_code)}-{h % 1000000:06d}",
                                       "registry_office": "杭州市民政局婚姻登记处"}  # fmt: skip
            if 18 <= _age(p, today) < 60 and h % 10 < 7 and employers:
                e = employers[h % len(employers)]
                yield "src_social_insurance", {**base, "id_number": p.id_number, "name": p.name,
                                               "insurance_type": "企业职工基本养老保险",
                                               "status": "参保缴费" if h % 13 else "暂停缴费",
                                               "start_date": p.birth_date + timedelta(days=365 * 22 + h % 1500),
                                               "employer_name": e.name, "employer_credit_code": e.credit_code,
                                               "monthly_base_fen": (4_462 + h % 20_000) * 100}  # fmt: skip
            if p.birth_date.year >= 1996:
                yield "src_birth_certificate", {**base, "id_number": p.id_number, "child_name": p.name,
                                                "gender": "1" if p.gender == "M" else "2", "birth_date": p.birth_date,
                                                "certificate_no": f"{chr(ord('K') + h % 10)}{330000000 + h % 99999999:09d}",
                                                "hospital": HOSPITALS[h % len(HOSPITALS)],
                                                "mother_name": mother.name if mother and p.relation == "子女" else None,
                                                "mother_id_number": mother.id_number if mother and p.relation == "子女" else None,
                                                "father_name": father.name if father and p.relation == "子女" else None}  # fmt: skip
            if p is head:
                yield "src_real_estate", {**base, "id_number": p.id_number, "owner_name": p.name,
                                          "certificate_no": f"浙({2005 + h % 20})杭州市不动产权第{h % 10_000_000:07d}号",
                                          "location": p.address.split("室")[0] + "室" if "室" in p.address else p.address,
                                          "area_centi_m2": 4_500 + h % 12_000 * 1, "usage": "住宅",
                                          "registered_on": date(2005 + h % 20, 1 + h % 12, 1 + h % 28)}  # fmt: skip


def _enterprise_rows(city: DemoCity) -> Iterator[tuple[str, dict[str, Any]]]:
    for e in city.enterprises():
        h = _h(e.credit_code)
        base = {"_enterprise": e.credit_code, "_rep": e.legal_rep_id_number, "region_code": e.region_code,
                "credit_code": e.credit_code, "name": e.name}  # fmt: skip
        yield "src_enterprise_registration", {**base, "legal_rep_name": None,
                                              "registered_capital_fen": e.registered_capital_fen,
                                              "established_on": e.established_on, "address": e.address,
                                              "industry_code": e.industry_code,
                                              "status": "存续" if h % 25 else "注销"}  # fmt: skip
        yield "src_tax_credit", {**base, "year": 2025, "grade": "AAAABBBBBBMMCD"[h % 14]}


def _columns(table: str) -> list[str]:
    return [c.name for c in SOURCE_TABLES[table].columns if c.name != "id"]


def _write(session: Session, chunk: list[tuple[str, dict[str, Any]]]) -> None:
    people = identity.persons_by_id_numbers(session, {r["_person"] for _t, r in chunk if "_person" in r} |
                                            {r["_rep"] for _t, r in chunk if "_rep" in r})  # fmt: skip
    ents = identity.enterprise_ids_by_codes(
        session, [r["_enterprise"] for _t, r in chunk if "_enterprise" in r]
    )
    now = utcnow()
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table, r in chunk:
        row = dict(r)
        if "_rep" in row and "legal_rep_name" in row:
            row["legal_rep_name"] = people.get(row["_rep"], (None, None))[1]
        row["subject_person_id"] = people.get(row.get("_person", ""), (None, None))[0]
        row["subject_enterprise_id"] = ents.get(row.get("_enterprise", ""))
        row["updated_at"] = now
        for name in [k for k in row if k.endswith("id_number")]:
            row[f"{name}_enc"], row[f"{name}_idx"] = _id(row.pop(name))
        out.setdefault(table, []).append(tuple(row.get(c) for c in _columns(table)))
    for table, tuples in out.items():
        bulk_insert(session, table, _columns(table), tuples)


def seed_sources(city: DemoCity, on_batch: Any = None) -> dict[str, int]:
    """Load every source table for the city; returns rows added per table."""
    from yiwang.contexts.catalog.seed import seed_catalog

    with transaction() as s:
        seed_catalog(s)
    today = date(2025, 12, 31)
    employers = list(islice(city.enterprises(), 5000))
    counts: dict[str, int] = {}
    for key, rows in (
        ("persons", _source_rows(city, employers, today)),
        ("enterprises", _enterprise_rows(city)),
    ):
        counts[key] = load_resumable(
            f"{city.size}:{city.seed}:sources:{key}", rows, _write, on_batch=on_batch
        )
    analyze(*SOURCE_TABLES)
    return counts
