"""All SQL of city operations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, insert, select
from sqlalchemy.orm import Session

from yiwang.contexts.cityops.models import (
    CarPark,
    CityCategory,
    CityEvent,
    CityEventPhoto,
    DispatchRule,
    Intersection,
    Open311Key,
    Vehicle,
)


def add(session: Session, obj: object) -> None:
    session.add(obj)
    session.flush()


def add_all(session: Session, objs: Sequence[object]) -> None:
    session.add_all(objs)
    session.flush()


def categories(session: Session) -> list[CityCategory]:
    return list(session.scalars(select(CityCategory).order_by(CityCategory.code)))


def category(session: Session, code: str) -> CityCategory | None:
    return session.get(CityCategory, code)


def insert_categories(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(CityCategory), rows)


def event(session: Session, event_id: int) -> CityEvent | None:
    return session.get(CityEvent, event_id)


def event_by_token(session: Session, token: str) -> CityEvent | None:
    return session.scalar(select(CityEvent).where(CityEvent.token == token))


def events_by_ids(session: Session, ids: Sequence[int]) -> list[CityEvent]:
    if not ids:
        return []
    return list(session.scalars(select(CityEvent).where(CityEvent.id.in_(list(ids))).order_by(CityEvent.id)))


def merged_into(session: Session, event_id: int) -> list[CityEvent]:
    return list(session.scalars(select(CityEvent).where(CityEvent.merged_into_id == event_id)))


def open_nearby(session: Session, category_code: str, box: tuple[float, float, float, float], since: datetime,
                exclude: Sequence[int] = ()) -> list[CityEvent]:  # fmt: skip
    q = select(CityEvent).where(
        CityEvent.category_code == category_code, CityEvent.closed_at.is_(None), CityEvent.merged_into_id.is_(None),
        CityEvent.lon.between(box[0], box[2]), CityEvent.lat.between(box[1], box[3]), CityEvent.created_at >= since,
    )  # fmt: skip
    if exclude:
        q = q.where(CityEvent.id.not_in(list(exclude)))
    return list(session.scalars(q.order_by(CityEvent.id).limit(20)))


def events_page(session: Session, *, status: str | None = None, category_codes: Sequence[str] = (),
                start: datetime | None = None, end: datetime | None = None, street_prefix: str | None = None,
                ids: Sequence[int] = (), limit: int = 50) -> list[CityEvent]:  # fmt: skip
    q = select(CityEvent)
    if status == "open":
        q = q.where(CityEvent.closed_at.is_(None))
    elif status == "closed":
        q = q.where(CityEvent.closed_at.is_not(None))
    if category_codes:
        q = q.where(CityEvent.category_code.in_(list(category_codes)))
    if start is not None:
        q = q.where(CityEvent.created_at >= start)
    if end is not None:
        q = q.where(CityEvent.created_at <= end)
    if street_prefix:
        q = q.where(CityEvent.street_code.startswith(street_prefix))
    if ids:
        q = q.where(CityEvent.id.in_(list(ids)))
    return list(session.scalars(q.order_by(CityEvent.id.desc()).limit(limit)))


def dispatch_rules(session: Session) -> list[DispatchRule]:
    return list(session.scalars(select(DispatchRule).order_by(DispatchRule.id)))


def photo(session: Session, photo_id: int) -> CityEventPhoto | None:
    return session.get(CityEventPhoto, photo_id)


def photo_ids(session: Session, event_id: int) -> list[int]:
    q = select(CityEventPhoto.id).where(CityEventPhoto.event_id == event_id).order_by(CityEventPhoto.id)
    return [int(i) for i in session.scalars(q)]


def photos_of(session: Session, event_id: int, ids: Sequence[int]) -> list[CityEventPhoto]:
    if not ids:
        return []
    q = select(CityEventPhoto).where(CityEventPhoto.event_id == event_id, CityEventPhoto.id.in_(list(ids)))
    return list(session.scalars(q))


def car_parks(session: Session) -> list[CarPark]:
    return list(session.scalars(select(CarPark).order_by(CarPark.id)))


def vehicle(session: Session, plate: str) -> Vehicle | None:
    return session.get(Vehicle, plate)


def intersections(session: Session) -> list[Intersection]:
    return list(session.scalars(select(Intersection).order_by(Intersection.id)))


def intersection(session: Session, intersection_id: int) -> Intersection | None:
    return session.get(Intersection, intersection_id)


def open311_key(session: Session, key_sha256: str) -> Open311Key | None:
    return session.scalar(select(Open311Key).where(Open311Key.key_sha256 == key_sha256))


def count_rows(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


# --- figures for the dashboard and the public page ------------------------------------------


def counts_by(session: Session, column: str, open_only: bool = False) -> dict[str, int]:
    col = getattr(CityEvent, column)
    q = select(col, func.count()).where(CityEvent.merged_into_id.is_(None)).group_by(col)
    if open_only:
        q = q.where(CityEvent.closed_at.is_(None))
    return {str(k): int(n) for k, n in session.execute(q)}


def area_figures(session: Session, column: str) -> list[tuple[str, int, int, float | None]]:
    """(area or department, events, closed, mean hours to close) per `column` value."""
    col = getattr(CityEvent, column)
    closed = func.sum(case((CityEvent.closed_at.is_not(None), 1), else_=0))
    q = select(col, func.count(), closed).where(CityEvent.merged_into_id.is_(None)).group_by(col)
    out = []
    durations = _durations(session, column)
    for k, n, c in session.execute(q):
        out.append((str(k), int(n), int(c or 0), durations.get(str(k))))
    return out


def _durations(session: Session, column: str) -> dict[str, float]:
    col = getattr(CityEvent, column)
    q = select(col, CityEvent.created_at, CityEvent.closed_at).where(
        CityEvent.closed_at.is_not(None), CityEvent.merged_into_id.is_(None)
    )
    sums: dict[str, list[float]] = {}
    for k, a, b in session.execute(q):
        sums.setdefault(str(k), []).append((b - a).total_seconds() / 3600)
    return {k: sum(v) / len(v) for k, v in sums.items()}


def created_per_day(session: Session, since: datetime) -> list[tuple[datetime, datetime | None]]:
    q = select(CityEvent.created_at, CityEvent.closed_at).where(
        CityEvent.created_at >= since, CityEvent.merged_into_id.is_(None)
    )
    return [(a, b) for a, b in session.execute(q)]


def open_points(session: Session, limit: int = 2000) -> list[CityEvent]:
    q = select(CityEvent).where(CityEvent.merged_into_id.is_(None)).order_by(CityEvent.id.desc()).limit(limit)
    return list(session.scalars(q))
