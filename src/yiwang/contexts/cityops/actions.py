"""Use cases of city events: intake one by one and in batches (grid lookup, duplicates,
dispatch), reading them, adding photos. Each starts with authz.check.

A reported event is a case of the workflow engine (`cases.py`). One from a grid worker or a
sensor with no open duplicate nearby is registered and dispatched by the system at once by the
dispatch rules; a citizen's, the hotline's or one with a duplicate waits for the command centre."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from yiwang.contexts import identity
from yiwang.contexts.cityops import cases, geo, photos
from yiwang.contexts.cityops import repository as repo
from yiwang.contexts.cityops.catalogue import BRANCHES
from yiwang.contexts.cityops.models import CityCategory, CityEvent, CityEventPhoto
from yiwang.contexts.cityops.policies import EventTarget, ReportTarget
from yiwang.contexts.cityops.schemas import Duplicate, EventIn, EventOut
from yiwang.core import audit, authz, workflow
from yiwang.core.actor import SYSTEM, Actor
from yiwang.core.db import utcnow
from yiwang.core.errors import FieldError, NotFound, ValidationFailed
from yiwang.core.workflow_spec import Party

DUPLICATE_METRES = 50.0
DUPLICATE_WINDOW = timedelta(hours=24)
AUTO_DISPATCH = ("grid_worker", "sensor")


@dataclass(frozen=True)
class Checked:
    data: EventIn
    category: CityCategory
    place: geo.Place


def _check_all(session: Session, items: list[EventIn], prefix: str) -> list[Checked]:
    """Every item's category and grid, or one 422 naming every bad item: nothing is written."""
    cats = {c.code: c for c in repo.categories(session)}
    places = geo.index(session).locate_many([(d.lon, d.lat) for d in items])
    errors, out = [], []
    for i, (d, place) in enumerate(zip(items, places, strict=True)):
        at = f"{prefix}{i}." if prefix else ""
        cat = cats.get(d.category_code)
        if cat is None:
            errors.append(FieldError(f"{at}category_code", "未知的部件事件分类代码", "unknown"))
        if place is None:
            errors.append(FieldError(f"{at}lon", "该位置不在本市任何网格内", "outside"))
        if cat is not None and place is not None:
            out.append(Checked(d, cat, place))
    if errors:
        raise ValidationFailed("上报的城市事件有误", errors)
    return out


def _street_names(session: Session) -> dict[str, str]:
    return {code: v[0] for code, v in identity.regions_named(session, "street").items()}


def duplicates_of(session: Session, e: CityEvent) -> list[Duplicate]:
    box = geo.box_around(e.lon, e.lat, DUPLICATE_METRES)
    found = []
    for o in repo.open_nearby(session, e.category_code, box, e.created_at - DUPLICATE_WINDOW, exclude=[e.id]):
        d = geo.distance_m(e.lon, e.lat, o.lon, o.lat)
        if d <= DUPLICATE_METRES:
            found.append(
                Duplicate(event_id=o.id, distance_m=round(d, 1), status_label=STATE_LABELS.get(o.status, ""))
            )
    return found


STATE_LABELS = {
    "reported": "待立案", "registered": "待派遣", "dispatched": "待处置", "handled": "待核查", "merged": "已合并",
    "closed": "已结案", "cancelled": "不予立案",
}  # fmt: skip


def _create(session: Session, actor: Actor, c: Checked, streets: dict[str, str], rules: list, now: datetime,
            photo_rows: list[tuple[str, str, bytes]]) -> tuple[CityEvent, list[Duplicate]]:  # fmt: skip
    d = c.data
    e = CityEvent(
        category_code=c.category.code, lon=d.lon, lat=d.lat, address=d.address, description=d.description,
        source=d.source, urgency=d.urgency, occurred_at=d.occurred_at or now, grid_code=c.place.grid_code,
        street_code=c.place.street_code, district_code=c.place.district_code, status="reported", plate=d.plate,
        reporter_user_id=actor.id if actor.kind == "user" else None, reporter_label=actor.name or actor.label,
        external_id=d.external_id, token=str(uuid.uuid4()), created_at=now,
    )  # fmt: skip
    repo.add(session, e)
    if photo_rows:
        repo.add_all(session, [CityEventPhoto(event_id=e.id, stage="report", content_type=k, sha256=h, data=b)
                               for k, h, b in photo_rows])  # fmt: skip
    audit.record(session, actor, "cityops.event_report", "city_event", e.id,
                 detail={"category": e.category_code, "grid": e.grid_code, "source": e.source})  # fmt: skip
    verifier = actor.id if actor.kind == "user" and actor.has("grid_worker") else None
    if verifier is None:
        known: dict[str, list[int]] = session.info.setdefault("cityops.grid_workers", {})
        if e.grid_code not in known:
            known[e.grid_code] = identity.grid_worker_ids(session, e.grid_code)
        verifier = known[e.grid_code][0] if known[e.grid_code] else None
    case = cases.open_case(session, actor, e, c.category, streets.get(e.street_code, e.street_code), verifier)
    dups = duplicates_of(session, e)
    if d.source in AUTO_DISPATCH and not dups:
        workflow.fire(
            session,
            SYSTEM,
            workflow.target(session, case.id, "register"),
            comment="网格员/感知设备上报，自动立案",
        )
        dept = cases.department_for(session, rules, c.category, e)
        if dept is not None:
            workflow.fire(session, SYSTEM, workflow.target(session, case.id, "dispatch"),
                          comment="按派遣规则自动派遣", assignee=Party(department_id=dept))  # fmt: skip
    return e, dups


def event_report(
    session: Session, actor: Actor, data: EventIn, photo_files: list[bytes] | None = None
) -> EventOut:
    authz.check(actor, "cityops.event_report", ReportTarget(data.source, 1))
    photo_rows = photos.checked(photo_files or [])
    checked = _check_all(session, [data], "")
    e, dups = _create(session, actor, checked[0], _street_names(session), repo.dispatch_rules(session), utcnow(),
                      photo_rows)  # fmt: skip
    return event_view(session, e, dups)


def event_report_batch(session: Session, actor: Actor, items: list[EventIn]) -> list[int]:
    """All or nothing: one bad item refuses the batch with every bad item named."""
    authz.check(
        actor, "cityops.event_report", ReportTarget(items[0].source if items else "sensor", len(items))
    )
    checked = _check_all(session, items, "events.")
    streets, rules, now = _street_names(session), repo.dispatch_rules(session), utcnow()
    return [_create(session, actor, c, streets, rules, now, [])[0].id for c in checked]


def _target(session: Session, event_id: int) -> tuple[CityEvent, EventTarget]:
    e = repo.event(session, event_id)
    if e is None:
        raise NotFound("城市事件不存在")
    return e, EventTarget(e.id, e.district_code, e.street_code, e.reporter_user_id, e.department_id)


def event_read(session: Session, actor: Actor, event_id: int) -> EventOut:
    e, target = _target(session, event_id)
    authz.check(actor, "cityops.event_read", target)
    return event_view(session, e, duplicates_of(session, e) if e.status == "reported" else [])


def photo_add(session: Session, actor: Actor, event_id: int, data: bytes, stage: str) -> int:
    e, target = _target(session, event_id)
    authz.check(actor, "cityops.photo_add", target)
    if stage not in ("report", "handle", "verify"):
        raise ValidationFailed("照片环节不正确", [FieldError("stage", "取值不在允许范围内", "enum")])
    ((kind, sha, raw),) = photos.checked([data], "photo")
    p = CityEventPhoto(event_id=e.id, stage=stage, content_type=kind, sha256=sha, data=raw)
    repo.add(session, p)
    audit.record(
        session, actor, "cityops.photo_add", "city_event_photo", p.id, detail={"event": e.id, "stage": stage}
    )
    return p.id


def photo_read(session: Session, actor: Actor, event_id: int, photo_id: int) -> tuple[str, bytes]:
    e, target = _target(session, event_id)
    authz.check(actor, "cityops.event_read", target)
    p = repo.photo(session, photo_id)
    if p is None or p.event_id != e.id:
        raise NotFound("照片不存在")
    return p.content_type, p.data


def event_view(session: Session, e: CityEvent, dups: list[Duplicate] | None = None,
               case: workflow.CaseView | None = None) -> EventOut:  # fmt: skip
    cat = repo.category(session, e.category_code)
    c = case or cases.case_of(session, e)
    dept = identity.department(session, e.department_id) if e.department_id else None
    grid_name = next(
        (g.name for g in identity.grid_shapes(session, e.street_code) if g.code == e.grid_code), e.grid_code
    )
    return EventOut(
        id=e.id, category_code=e.category_code, category_name=cat.name if cat else "", lon=e.lon, lat=e.lat,
        address=e.address, description=e.description, source=e.source, urgency=e.urgency, grid_code=e.grid_code,
        grid_name=grid_name, street_code=e.street_code, district_code=e.district_code,
        department=dept.name if dept else "", status=e.status, status_label=STATE_LABELS.get(e.status, e.status),
        case_id=c.id if c else None, revision=c.revision if c else 0, due_at=c.due_at if c and c.open else None,
        overdue=bool(c and c.overdue()), plate=e.plate, merged_into_id=e.merged_into_id, token=e.token,
        created_at=e.created_at, closed_at=e.closed_at, duplicates=dups or [], photos=repo.photo_ids(session, e.id),
    )  # fmt: skip


def branch_name(code: str) -> str:
    return BRANCHES[code[0]][1]
