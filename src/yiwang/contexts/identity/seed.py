"""Load the generated demo city into the database, fast and resumably.

Each batch commits with a progress row in the same transaction, so an interrupted seed
resumes where it stopped and a repeated seed adds nothing. PostgreSQL takes rows through
COPY; SQLite through executemany on the raw connection.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from yiwang.contexts.identity import repository as repo
from yiwang.contexts.identity.demo import DemoCity, contacts, generate_city
from yiwang.contexts.identity.demo.logins import DEMO_PASSWORD
from yiwang.contexts.identity.lookups import person_ids_by_id_numbers
from yiwang.contexts.identity.models import (
    Department,
    Enterprise,
    Grid,
    Person,
    Region,
    UserAccount,
)
from yiwang.core import crypto, security
from yiwang.core.actor import ROLE_NAMES
from yiwang.core.db import analyze, bulk_insert, transaction, utcnow
from yiwang.core.progress import load_resumable

__all__ = ["DEMO_PASSWORD", "SeedReport", "seed_city"]


@dataclass
class SeedReport:
    size: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    logins: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"demo city '{self.size}' ready in {self.seconds:.1f} s:"]
        lines += [f"  {k}: {v:,} new rows" for k, v in self.counts.items()]
        lines.append(f"demo logins (password {DEMO_PASSWORD}):")
        lines += [f"  {u:10} {what}" for u, what in self.logins]
        return "\n".join(lines)


PERSON_COLUMNS = (
    "id_number_enc", "id_number_idx", "name", "gender", "birth_date", "phone_enc", "phone_idx",
    "address", "region_code", "household_no", "relation", "created_at", "updated_at",
)  # fmt: skip


def person_tuple(p: Any, now: Any) -> tuple[Any, ...]:
    idx = crypto.blind_index(p.id_number, "ric")
    aad = idx.encode()
    return (
        crypto.encrypt(p.id_number, aad), idx, p.name, p.gender, p.birth_date,
        crypto.encrypt(p.phone, aad), crypto.blind_index(p.phone, "phone"),
        p.address, p.region_code, p.household_no, p.relation, now, now,
    )  # fmt: skip


ENTERPRISE_COLUMNS = (
    "credit_code", "name", "legal_rep_person_id", "address", "industry_code", "industry_name",
    "registered_capital_fen", "established_on", "size_class", "region_code", "created_at", "updated_at",
)  # fmt: skip


def _organisation(city: DemoCity, report: SeedReport) -> None:
    with transaction() as s:
        have = {r.code for r in repo.regions(s)}
        new = [Region(code=r.code, name=r.name, level=r.level, parent_code=r.parent_code, geometry=r.geometry)
               for r in city.regions if r.code not in have]  # fmt: skip
        for r in new:  # parents first: the generator lists regions top-down
            s.add(r)
            s.flush()
        have_d = {d.code for d in repo.departments(s)}
        s.add_all(Department(code=d.code, name=d.name, short_name=d.short_name, kind=d.kind,
                             region_code=d.region_code) for d in city.departments if d.code not in have_d)  # fmt: skip
        have_g = {g.code for g in repo.grids(s)}
        s.add_all(Grid(code=g.code, name=g.name, street_code=g.street_code, geometry=g.geometry)
                  for g in city.grids if g.code not in have_g)  # fmt: skip
        report.counts.update(regions=len(new), departments=len(city.departments) - len(have_d),
                             grids=len(city.grids) - len(have_g))  # fmt: skip


def _accounts(city: DemoCity, report: SeedReport) -> None:
    hashed = security.hash_password(DEMO_PASSWORD)
    contact = _contacts(city)
    with transaction() as s:
        accounts = repo.users_by_names(s, [st.username for st in city.staff] + ["citizen", "enterprise"])
        existing = {u.username for u in accounts}
        for u in accounts:  # seeded before accounts had contact details
            if u.email is None and u.mobile is None and u.username in contact:
                u.email, u.mobile = contact[u.username]
        wanted = [st.id_number for st in city.staff] + [
            city.citizen_demo.id_number,
            city.enterprise_demo.legal_rep_id_number,
        ]
        person_ids = person_ids_by_id_numbers(s, wanted)
        depts = {d.code: d.id for d in repo.departments(s)}
        ent = repo.enterprise_by_code(s, city.enterprise_demo.credit_code)
        new: list[UserAccount] = []
        if "citizen" not in existing:
            new.append(UserAccount(username="citizen", password_hash=hashed, display_name=city.citizen_demo.name,
                                   roles="citizen", person_id=person_ids[city.citizen_demo.id_number],
                                   email=contacts.CITIZEN_EMAIL, mobile=contacts.CITIZEN_MOBILE))  # fmt: skip
        if "enterprise" not in existing and ent is not None:
            new.append(UserAccount(username="enterprise", password_hash=hashed, display_name=ent.name,
                                   roles="enterprise", enterprise_id=ent.id, region_code=ent.region_code,
                                   person_id=person_ids[city.enterprise_demo.legal_rep_id_number],
                                   email=contacts.ENTERPRISE_EMAIL, mobile=contacts.ENTERPRISE_MOBILE))  # fmt: skip
        for st in city.staff:
            if st.username in existing:
                continue
            email, mobile = contact[st.username]
            new.append(UserAccount(
                username=st.username, password_hash=hashed, display_name=st.name, roles=" ".join(st.roles),
                person_id=person_ids.get(st.id_number), department_id=depts[st.department_code],
                region_code=st.region_code, grid_code=getattr(st, "grid_code", None), email=email, mobile=mobile,
            ))  # fmt: skip
        s.add_all(new)
        report.counts["accounts"] = len(new)
    report.logins = [
        ("citizen", f"市民 {city.citizen_demo.name}"), ("enterprise", f"企业 {city.enterprise_demo.name}"),
        *[(st.username, f"{'/'.join(ROLE_NAMES.get(r, r) for r in st.roles)} {st.name}") for st in city.staff[:7]],
    ]  # fmt: skip


def _contacts(city: DemoCity) -> dict[str, tuple[str, str]]:
    """username -> (email, mobile) of every demo account the city seeds."""
    out = {st.username: (contacts.staff_email(st.username, st.department_code), contacts.staff_mobile(n))
           for n, st in enumerate(city.staff, start=1)}  # fmt: skip
    out["citizen"] = (contacts.CITIZEN_EMAIL, contacts.CITIZEN_MOBILE)
    out["enterprise"] = (contacts.ENTERPRISE_EMAIL, contacts.ENTERPRISE_MOBILE)
    return out


def seed_city(size: str, seed: int = 2026, progress: bool = False) -> SeedReport:
    """Create (or complete) the demo city of the given size."""
    start = time.perf_counter()
    city = generate_city(size, seed)
    report = SeedReport(size)
    _organisation(city, report)
    now = utcnow()

    def write_persons(s: Session, chunk: list[Any]) -> None:
        bulk_insert(s, Person.__tablename__, PERSON_COLUMNS, [person_tuple(p, now) for p in chunk])

    def write_enterprises(s: Session, chunk: list[Any]) -> None:
        reps = person_ids_by_id_numbers(s, {e.legal_rep_id_number for e in chunk})
        bulk_insert(s, Enterprise.__tablename__, ENTERPRISE_COLUMNS, [
            (e.credit_code, e.name, reps.get(e.legal_rep_id_number), e.address, e.industry_code, e.industry_name,
             e.registered_capital_fen, e.established_on, e.size_class, e.region_code, now, now)
            for e in chunk
        ])  # fmt: skip

    with _bar(progress, city.person_count + city.enterprise_count) as bar:
        step = bar.update if bar else None
        report.counts["persons"] = load_resumable(
            f"{size}:{seed}:persons", city.persons(), write_persons, on_batch=step
        )
        report.counts["enterprises"] = load_resumable(
            f"{size}:{seed}:enterprises", city.enterprises(), write_enterprises, on_batch=step
        )
    _accounts(city, report)
    analyze(Person.__tablename__, Enterprise.__tablename__)
    report.seconds = time.perf_counter() - start
    return report


class _NoBar:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _bar(enabled: bool, total: int) -> Any:
    if not enabled:
        return _NoBar()
    import typer

    return typer.progressbar(length=total, label="seeding persons and enterprises")
