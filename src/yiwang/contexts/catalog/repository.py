"""All SQL of the catalog context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from yiwang.contexts.catalog.models import DataField, DataResource


def resource(session: Session, resource_id: int) -> DataResource | None:
    return session.get(DataResource, resource_id)


def resource_by_code(session: Session, code: str) -> DataResource | None:
    return session.scalar(select(DataResource).where(func.lower(DataResource.code) == code.lower()))


def resource_by_source(session: Session, source_table: str) -> DataResource | None:
    return session.scalar(select(DataResource).where(DataResource.source_table == source_table).limit(1))


def resources(session: Session, ids: list[int] | None = None) -> list[DataResource]:
    q = select(DataResource).where(DataResource.published.is_(True)).order_by(DataResource.code)
    if ids is not None:
        q = q.where(DataResource.id.in_(ids))
    return list(session.scalars(q))


def search(
    session: Session, q: str | None, provider_ids: list[int] | None, offset: int, limit: int
) -> tuple[int, list[DataResource]]:
    stmt = select(DataResource).where(DataResource.published.is_(True))
    if q:
        in_fields = select(DataField.resource_id).where(
            or_(DataField.label.icontains(q, autoescape=True), DataField.name.icontains(q, autoescape=True))
        )
        stmt = stmt.where(
            or_(
                DataResource.name.icontains(q, autoescape=True),
                DataResource.description.icontains(q, autoescape=True),
                DataResource.subject_category.icontains(q, autoescape=True),
                DataResource.code.icontains(q, autoescape=True),
                DataResource.id.in_(in_fields),
            )
        )
    if provider_ids is not None:
        stmt = stmt.where(DataResource.provider_department_id.in_(provider_ids))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(DataResource.code).offset(offset).limit(limit))
    return total, list(rows)


def fields_of(session: Session, resource_ids: list[int]) -> dict[int, list[DataField]]:
    out: dict[int, list[DataField]] = {rid: [] for rid in resource_ids}
    if resource_ids:
        rows = session.scalars(
            select(DataField).where(DataField.resource_id.in_(resource_ids)).order_by(DataField.position)
        )
        for f in rows:
            out[f.resource_id].append(f)
    return out


def count_by_provider(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(DataResource.provider_department_id, func.count())
        .where(DataResource.published.is_(True))
        .group_by(DataResource.provider_department_id)
    )
    return {d: n for d, n in rows}


def add(session: Session, obj: object) -> None:
    session.add(obj)
    session.flush()


@dataclass(frozen=True)
class ResourceQuery:
    """Filters for browsing the catalog (pages, CKAN package_search). Text terms are ANDed;
    each term may match the name, description, subject category, code, or a field's name or label."""

    terms: tuple[str, ...] = ()
    provider_ids: tuple[int, ...] | None = None
    exclude_provider_ids: tuple[int, ...] = ()
    share_type: str | None = None
    ids: tuple[int, ...] | None = None
    codes: tuple[str, ...] | None = None  # compared case-insensitively
    modified_from: datetime | None = None
    modified_to: datetime | None = None
    tags: tuple[str, ...] | None = None  # any of these tags
    order: str = "code"  # a key of RESOURCE_ORDERS


RESOURCE_ORDERS: dict[str, tuple[Any, ...]] = {
    "code": (DataResource.code.asc(),),
    "code desc": (DataResource.code.desc(),),
    "id": (DataResource.id.asc(),),
    "id desc": (DataResource.id.desc(),),
    "name": (DataResource.name.asc(), DataResource.code.asc()),
    "name desc": (DataResource.name.desc(), DataResource.code.asc()),
    "modified": (DataResource.updated_at.asc(), DataResource.id.asc()),
    "modified desc": (DataResource.updated_at.desc(), DataResource.id.desc()),
    "created": (DataResource.created_at.asc(), DataResource.id.asc()),
    "created desc": (DataResource.created_at.desc(), DataResource.id.desc()),
}


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def query_resources(
    session: Session, query: ResourceQuery, offset: int, limit: int
) -> tuple[int, list[DataResource]]:
    """Published resources matching `query`: (total, one page in `query.order`)."""
    stmt = select(DataResource).where(DataResource.published.is_(True))
    for term in query.terms:
        like = _like(term)
        in_fields = select(DataField.resource_id).where(
            or_(DataField.label.ilike(like, escape="\\"), DataField.name.ilike(like, escape="\\"))
        )
        stmt = stmt.where(
            or_(
                DataResource.name.ilike(like, escape="\\"),
                DataResource.description.ilike(like, escape="\\"),
                DataResource.subject_category.ilike(like, escape="\\"),
                DataResource.code.ilike(like, escape="\\"),
                DataResource.id.in_(in_fields),
            )
        )
    if query.provider_ids is not None:
        stmt = stmt.where(DataResource.provider_department_id.in_(query.provider_ids))
    if query.exclude_provider_ids:
        stmt = stmt.where(DataResource.provider_department_id.not_in(query.exclude_provider_ids))
    if query.share_type:
        stmt = stmt.where(DataResource.share_type == query.share_type)
    if query.ids is not None:
        stmt = stmt.where(DataResource.id.in_(query.ids))
    if query.codes is not None:
        stmt = stmt.where(func.lower(DataResource.code).in_([c.lower() for c in query.codes]))
    if query.tags is not None:
        wanted = set(query.tags)  # tags are a JSON list: match them here, portably across databases
        pairs = session.execute(
            select(DataResource.id, DataResource.tags).where(DataResource.published.is_(True))
        )
        stmt = stmt.where(DataResource.id.in_([rid for rid, tags in pairs if wanted & set(tags or [])]))
    if query.modified_from is not None:
        stmt = stmt.where(DataResource.updated_at >= query.modified_from)
    if query.modified_to is not None:
        stmt = stmt.where(DataResource.updated_at <= query.modified_to)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(*RESOURCE_ORDERS[query.order]).offset(offset).limit(limit))
    return total, list(rows)
