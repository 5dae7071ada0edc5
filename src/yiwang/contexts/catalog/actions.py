"""Use cases of the catalog. Each starts with authz.check."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwang.contexts import identity
from yiwang.contexts.catalog import repository as repo
from yiwang.contexts.catalog.models import DataField, DataResource
from yiwang.contexts.catalog.schemas import SHARE_TYPE_ZH, FieldOut, ProviderOut, ResourceIn, ResourceOut
from yiwang.core import audit, authz
from yiwang.core.actor import Actor
from yiwang.core.codes import region_covers
from yiwang.core.errors import Conflict, FieldError, NotFound, ValidationFailed


def views(session: Session, resources: list[DataResource]) -> list[ResourceOut]:
    fields = repo.fields_of(session, [r.id for r in resources])
    depts = {d.id: d for d in identity.departments(session)}
    out = []
    for r in resources:
        d = depts.get(r.provider_department_id)
        out.append(
            ResourceOut(
                id=r.id,
                code=r.code,
                name=r.name,
                description=r.description,
                subject_category=r.subject_category,
                update_frequency=r.update_frequency,
                format=r.format,
                provider=ProviderOut(
                    id=r.provider_department_id, code=d.code if d else "", name=d.name if d else ""
                ),
                region_code=r.region_code,
                share_type=r.share_type,
                share_type_zh=SHARE_TYPE_ZH[r.share_type],
                share_basis=r.share_basis,
                open_type=r.open_type,
                key_field=r.key_field,
                subject=r.subject,
                tags=list(r.tags or []),
                fields=[FieldOut.model_validate(f, from_attributes=True) for f in fields[r.id]],
                created_at=r.created_at,
                updated_at=r.updated_at,
            )
        )
    return out


def resource_read(session: Session, actor: Actor, code: str) -> ResourceOut:
    resource = repo.resource_by_code(session, code)
    authz.check(actor, "catalog.resource_read", resource)
    if resource is None or not resource.published:
        raise NotFound(f"信息资源 {code} 不存在")
    return views(session, [resource])[0]


def resource_search(
    session: Session,
    actor: Actor,
    q: str | None,
    offset: int = 0,
    limit: int = 20,
    provider_code: str | None = None,
) -> tuple[int, list[ResourceOut]]:
    authz.check(actor, "catalog.resource_read", None)
    provider_ids = None
    if provider_code:
        dept = identity.department_by_code(session, provider_code)
        provider_ids = [dept.id] if dept else []
    total, rows = repo.search(session, q or None, provider_ids, offset, limit)
    return total, views(session, rows)


def resource_register(session: Session, actor: Actor, data: ResourceIn) -> ResourceOut:
    authz.check(actor, "catalog.resource_register", data)
    dept = identity.department_by_code(session, data.provider_department_code)
    if dept is None:
        msg = "提供部门不存在"
        raise ValidationFailed(msg, [FieldError("provider_department_code", msg, "unknown")])
    if actor.kind != "system" and not (
        actor.region_code and region_covers(actor.region_code, dept.region_code)
    ):
        msg = "提供部门不在本账号管辖区域内"
        raise ValidationFailed(msg, [FieldError("provider_department_code", msg, "out_of_scope")])
    if repo.resource_by_code(session, data.code) is not None:
        raise Conflict("资源代码已被使用", [FieldError("code", "资源代码已被使用", "duplicate")])
    if repo.resource_by_source(session, data.source_table) is not None:
        # one source, one resource: re-registering a table would bypass its share type
        msg = "该数据源已登记为其他信息资源"
        raise Conflict(msg, [FieldError("source_table", msg, "duplicate")])
    resource = DataResource(
        code=data.code, name=data.name, description=data.description, subject_category=data.subject_category,
        update_frequency=data.update_frequency, provider_department_id=dept.id, region_code=dept.region_code,
        share_type=data.share_type, share_basis=data.share_basis, open_type=data.open_type,
        source_table=data.source_table, key_field=data.key_field, subject=data.subject, tags=data.tags,
    )  # fmt: skip
    repo.add(session, resource)
    for i, f in enumerate(data.fields):
        session.add(DataField(resource_id=resource.id, position=i, **f.model_dump()))
    session.flush()
    audit.record(session, actor, "catalog.resource_register", "data_resource", resource.code)
    return views(session, [resource])[0]


def provider_counts(session: Session, actor: Actor) -> dict[int, int]:
    """Published resources per provider department (CKAN organisations)."""
    authz.check(actor, "catalog.resource_read", None)
    return repo.count_by_provider(session)


def resource_query(
    session: Session, actor: Actor, query: repo.ResourceQuery, offset: int = 0, limit: int = 20
) -> tuple[int, list[ResourceOut]]:
    """Browse the catalog with filters (pages, CKAN package_search): (total, one page)."""
    authz.check(actor, "catalog.resource_read", None)
    total, rows = repo.query_resources(session, query, offset, limit)
    return total, views(session, rows)
