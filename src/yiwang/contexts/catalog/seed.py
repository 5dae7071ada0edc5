"""Register the demo city's data resources (idempotent)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwang.contexts.catalog import actions
from yiwang.contexts.catalog import repository as repo
from yiwang.contexts.catalog.schemas import FieldIn, ResourceIn
from yiwang.contexts.catalog.specs import RESOURCES
from yiwang.core.actor import SYSTEM

CITY = "330100"


def seed_catalog(session: Session) -> int:
    created = 0
    for spec in RESOURCES:
        if repo.resource_by_code(session, spec.code) is not None:
            continue
        actions.resource_register(
            session,
            SYSTEM,
            ResourceIn(
                code=spec.code, name=spec.name, description=spec.description,
                subject_category=spec.subject_category, update_frequency=spec.update_frequency,
                provider_department_code=f"{CITY}-{spec.provider_kind}", share_type=spec.share_type,
                share_basis=spec.share_basis, open_type=spec.open_type,
                source_table=spec.source_table, key_field=spec.key_field, subject=spec.subject,
                tags=list(spec.tags),
                fields=[FieldIn(name=f.name, label=f.label, data_type=f.data_type, sensitivity=f.sensitivity,
                                personal=f.personal, description=f.description) for f in spec.fields],
            ),
        )  # fmt: skip
        created += 1
    return created
