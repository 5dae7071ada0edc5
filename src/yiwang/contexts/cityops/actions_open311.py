"""Open311 GeoReport v2 over city events: the catalogue as services, events as service
requests. Reading is public (the standard's requests are public records; plates and reporters
are never shown); posting needs an application's api_key."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from yiwang.contexts import identity
from yiwang.contexts.cityops import actions, cases
from yiwang.contexts.cityops import repository as repo
from yiwang.contexts.cityops.catalogue import BRANCHES, ILLEGAL_PARKING
from yiwang.contexts.cityops.models import CityCategory, CityEvent, Open311Key
from yiwang.contexts.cityops.policies import ReportTarget
from yiwang.contexts.cityops.schemas import EventIn
from yiwang.core import audit, authz
from yiwang.core.actor import Actor
from yiwang.core.db import utcnow
from yiwang.core.errors import Forbidden
from yiwang.core.workdays import SHANGHAI

MAX_REQUESTS = 1000
DEFAULT_WINDOW = timedelta(days=90)


def _service(c: CityCategory) -> dict[str, object]:
    return {
        "service_code": c.code, "service_name": c.name,
        "description": f"{BRANCHES[c.code[0]][1]} · {c.major_name} · {c.name}",
        "metadata": c.code == ILLEGAL_PARKING, "type": "realtime",
        "keywords": ",".join(k for k in (c.major_name, c.name, c.keywords) if k),
        "group": f"{BRANCHES[c.code[0]][1]}-{c.major_name}",
    }  # fmt: skip


def services(session: Session, actor: Actor) -> list[dict[str, object]]:
    authz.check(actor, "cityops.category_list", None)
    return [_service(c) for c in repo.categories(session)]


def service_definition(session: Session, actor: Actor, code: str) -> dict[str, object] | None:
    authz.check(actor, "cityops.category_list", None)
    c = repo.category(session, code)
    if c is None:
        return None
    attributes = []
    if c.code == ILLEGAL_PARKING:
        attributes.append({"variable": True, "code": "plate", "datatype": "string", "required": False,
                           "datatype_description": "车牌号，如 浙A12345", "order": 1,
                           "description": "违停车辆的车牌号（用于短信通知车主挪车）"})  # fmt: skip
    return {"service_code": c.code, "attributes": attributes}


def key_actor(session: Session, api_key: str | None) -> Actor:
    """The application an api_key belongs to, as an API client of city events (403 otherwise)."""
    if not api_key or len(api_key) > 200:
        raise Forbidden("api_key 无效")
    k = repo.open311_key(session, hashlib.sha256(api_key.encode()).hexdigest())
    if k is None:
        raise Forbidden("api_key 无效")
    return Actor(kind="client", name=k.name, client_id=f"open311-{k.id}", scopes=frozenset({"cityops"}))


def key_create(session: Session, actor: Actor, name: str) -> str:
    authz.check(actor, "cityops.open311_key_create", None)
    key = secrets.token_urlsafe(24)
    k = Open311Key(name=name[:100], key_sha256=hashlib.sha256(key.encode()).hexdigest())
    repo.add(session, k)
    audit.record(
        session, actor, "cityops.open311_key_create", "city_open311_key", k.id, detail={"name": k.name}
    )
    return key


def request_post(session: Session, actor: Actor, data: EventIn) -> CityEvent:
    authz.check(actor, "cityops.event_report", ReportTarget(data.source, 1))
    out = actions.event_report(session, actor, data)
    e = repo.event(session, out.id)
    assert e is not None
    return e


def _w3c(t: datetime | None) -> str | None:
    return t.astimezone(SHANGHAI).isoformat(timespec="seconds") if t else None


def _request(
    session: Session, e: CityEvent, names: dict[str, str], depts: dict[int, str]
) -> dict[str, object]:
    c = cases.case_of(session, e)
    return {
        "service_request_id": str(e.id), "status": "closed" if e.closed_at else "open",
        "status_notes": actions.STATE_LABELS.get(e.status, ""), "service_name": names.get(e.category_code, ""),
        "service_code": e.category_code, "description": e.description,
        "agency_responsible": depts.get(e.department_id or 0, ""), "service_notice": "",
        "requested_datetime": _w3c(e.created_at), "updated_datetime": _w3c(e.closed_at or e.dispatched_at or e.created_at),
        "expected_datetime": _w3c(c.due_at) if c and c.open and c.due_at else None,
        "address": e.address, "address_id": None, "zipcode": None, "lat": e.lat, "long": e.lon, "media_url": None,
    }  # fmt: skip


def requests(session: Session, actor: Actor, *, ids: list[int], codes: list[str], start: datetime | None,
             end: datetime | None, status: str | None) -> list[dict[str, object]]:  # fmt: skip
    authz.check(actor, "cityops.request_list", None)
    if not ids and start is None:
        start = (end or utcnow()) - DEFAULT_WINDOW
    rows = repo.events_page(session, status=status, category_codes=codes, start=start, end=end, ids=ids,
                            limit=MAX_REQUESTS)  # fmt: skip
    names = {c.code: c.name for c in repo.categories(session)}
    depts = {d.id: d.name for d in identity.departments(session)}
    return [_request(session, e, names, depts) for e in rows if e.merged_into_id is None or ids]


def token_lookup(session: Session, actor: Actor, token: str) -> list[dict[str, object]]:
    authz.check(actor, "cityops.request_list", None)
    e = repo.event_by_token(session, token)
    return [{"service_request_id": str(e.id), "token": token}] if e else []
