"""Prefilling an application form from the exchange, under the services' own grants.

一网通办 reads as a system of the city's 政务服务管理办公室 (an API client of that department):
each read is a governed lookup (`exchange.read_record`), so it is counted against the grant,
logged in the usage log and audited for the person, who sees it on 我的数据. The grants are
ordinary sharing requests, seeded for the demo by `seed_grants`."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from yiwang.contexts import exchange, identity
from yiwang.contexts.services.items import ENTERPRISE, ESTATE, HOUSEHOLD
from yiwang.contexts.services.models import ServiceItem
from yiwang.core.actor import Actor

CONSUMER = "330100-government_service"
CLIENT_ID = "services-prefill"
# what the forms read, per resource: its key (the applicant's identity number or credit code)
GRANTS: dict[str, tuple[str, list[str]]] = {
    HOUSEHOLD: ("person", ["id_number", "name", "address"]),
    ESTATE: ("person", ["id_number", "location"]),
    ENTERPRISE: ("enterprise", ["credit_code", "name", "legal_rep_name", "address"]),
}
PURPOSE = "一网通办申请表预填：读取申请人本人的登记信息，免于重复填写和提交证明材料"
LEGAL_BASIS = "《国务院关于加快推进全国一体化在线政务服务平台建设的指导意见》（国发〔2018〕27号）"


def reader(session: Session) -> Actor | None:
    dept = identity.department_by_code(session, CONSUMER)
    if dept is None:
        return None
    return Actor(kind="client", client_id=CLIENT_ID, name="一网通办（申请预填）", department_id=dept.id,
                 department_code=dept.code, region_code=dept.region_code,
                 scopes=frozenset({"exchange.record_read", "exchange.request_create"}))  # fmt: skip


def seed_grants(session: Session) -> int:
    """The services' grants, requested and approved through the exchange (demo data officer)."""
    consumer, officer = reader(session), identity.account(session, "officer")
    if consumer is None or officer is None:
        return 0
    approver = Actor(kind="user", id=officer.id, name=officer.name, roles=officer.roles,
                     region_code=officer.region_code, department_id=officer.department_id)  # fmt: skip
    for code, (_key, fields) in GRANTS.items():
        exchange.ensure_grant(
            session, consumer, approver, code, fields, PURPOSE, LEGAL_BASIS, date(2030, 12, 31)
        )
    return len(GRANTS)


async def prefill(session: Session, actor: Actor, item: ServiceItem) -> tuple[dict[str, str], list[str]]:
    """The form's values read from the exchange for the logged-in applicant, and which fields they are."""
    wanted: dict[str, list[tuple[str, str]]] = {}
    for name, p in item.form_schema.get("properties", {}).items():
        source = p.get("x-prefill")
        if source:
            code, field = source.rsplit(".", 1)
            wanted.setdefault(code, []).append((name, field))
    client = reader(session)
    if not wanted or client is None or actor.kind != "user":
        return {}, []
    number, credit = identity.own_identifiers(session, actor)
    values: dict[str, str] = {}
    for code, pairs in wanted.items():
        kind, fields = GRANTS.get(code, ("", []))
        key = number if kind == "person" else credit if kind == "enterprise" else None
        if not key:
            continue
        record: dict[str, Any] | None = await exchange.read_record(
            session, client.acting_for(actor.name or actor.label), code, key, fields,
            case_id=f"prefill:{item.code}", purpose=PURPOSE, end_user=actor.label,
        )  # fmt: skip
        for name, field in pairs:
            if record and record.get(field):
                values[name] = str(record[field])
    return values, list(values)
