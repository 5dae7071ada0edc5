"""The catalog of government data resources (政务信息资源目录).

Public surface: `resource_for_exchange` (the resource and its fields, for serving data),
`RESOURCES` (the demo specs), `routers`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from yiwang.contexts.catalog import labels as _labels  # noqa: F401  (names actions and objects)
from yiwang.contexts.catalog import policies as _policies  # noqa: F401  (registers policies)
from yiwang.contexts.catalog import repository as _repo
from yiwang.contexts.catalog.specs import RESOURCES, FieldSpec, ResourceSpec
from yiwang.core.cache import TTLCache

__all__ = [
    "RESOURCES", "FieldSpec", "ResourceInfo", "ResourceSpec", "cached_resource_for_exchange", "resource_for_exchange",
    "routers",
]  # fmt: skip


@dataclass(frozen=True)
class ResourceInfo:
    id: int
    code: str
    name: str
    provider_department_id: int
    share_type: str
    share_basis: str
    source_table: str
    key_field: str
    subject: str
    fields: dict[str, FieldSpec]


_for_exchange: TTLCache[str | int, ResourceInfo] = TTLCache()


def cached_resource_for_exchange(code_or_id: str | int) -> ResourceInfo | None:
    """`resource_for_exchange` if this process holds it (no database), else None."""
    return _for_exchange.get(code_or_id)


def resource_for_exchange(session: Session, code_or_id: str | int) -> ResourceInfo | None:
    """A published resource as the exchange sees it, cached per process for `cache_seconds`
    (resources are only added, never edited in place; unknown codes are not cached)."""
    hit = _for_exchange.get(code_or_id)
    if hit is not None:
        return hit
    r = (
        _repo.resource(session, code_or_id)
        if isinstance(code_or_id, int)
        else _repo.resource_by_code(session, code_or_id)
    )
    if r is None or not r.published:
        return None
    fields = _repo.fields_of(session, [r.id])[r.id]
    info = ResourceInfo(
        id=r.id, code=r.code, name=r.name, provider_department_id=r.provider_department_id,
        share_type=r.share_type, share_basis=r.share_basis, source_table=r.source_table, key_field=r.key_field,
        subject=r.subject,
        fields={f.name: FieldSpec(f.name, f.label, f.data_type, f.sensitivity, f.personal, f.description) for f in fields},
    )  # fmt: skip
    _for_exchange.put(info.code, info)
    _for_exchange.put(info.id, info)
    return info


def routers() -> list[Any]:
    from yiwang.contexts.catalog import api, ckan, pages

    return [api.router, ckan.router, pages.router]
