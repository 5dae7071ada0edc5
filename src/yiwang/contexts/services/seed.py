"""The demo city's service items (items.py) in the database: idempotent, updates what changed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwang.contexts import identity
from yiwang.contexts.services import repository as repo
from yiwang.contexts.services.cases import CODE
from yiwang.contexts.services.forms import schema_of
from yiwang.contexts.services.items import ITEMS, ItemSpec
from yiwang.contexts.services.models import ServiceItem
from yiwang.contexts.services.search import tokens


def _values(spec: ItemSpec, department_id: int, department_name: str) -> dict[str, object]:
    materials = [m.as_dict() for m in spec.materials]
    return dict(
        name=spec.name, power_type=spec.power_type, department_id=department_id, region_code=spec.region_code,
        subject=spec.subject, conditions=spec.conditions, legal_basis=spec.legal_basis, legal_days=spec.legal_days,
        promised_days=spec.promised_days, fee_fen=spec.fee_fen, channels=list(spec.channels),
        visits_required=spec.visits, any_window=spec.any_window, cross_province=spec.cross_province,
        materials=materials, form_schema=schema_of(spec.fields), workflow_code=CODE,
        license_name=spec.license_name, keywords=list(spec.keywords),
        search_text=tokens(spec.name, department_name, spec.power_type, " ".join(spec.keywords),
                           spec.conditions, " ".join(m["name"] for m in materials)),
    )  # fmt: skip


def seed_items(session: Session) -> int:
    """Add or update every item of items.py; returns how many were added."""
    have = repo.items_by_codes(session, [s.code for s in ITEMS])
    added = 0
    for spec in ITEMS:
        dept = identity.department_by_code(session, f"{spec.region_code}-{spec.department_kind}")
        if dept is None:
            continue
        values = _values(spec, dept.id, dept.name)
        row = have.get(spec.code)
        if row is None:
            repo.add(session, ServiceItem(code=spec.code, **values))
            added += 1
        else:
            for k, v in values.items():
                if getattr(row, k) != v:
                    setattr(row, k, v)
    session.flush()
    return added


def seed_licenses(session: Session) -> int:
    """The demo enterprise's electronic business licence (电子营业执照), issued by 西湖区市场监督管理局
    on the registration it already has, so that later permits reuse it instead of an upload."""
    from yiwang.contexts.services import licensing
    from yiwang.contexts.services.items import LICENSE
    from yiwang.core.actor import SYSTEM

    ent = identity.account(session, "enterprise")
    dept = identity.department_by_code(session, "330106-market_regulation")
    if ent is None or ent.enterprise_id is None or dept is None:
        return 0
    if any(x.item_code == LICENSE.ref for x in repo.licenses_held(session, None, ent.enterprise_id)):
        return 0
    licensing.issue(session, SYSTEM, name="营业执照", item_code=LICENSE.ref, holder_name=ent.name,
                    holder_user_id=ent.id, person_id=None, enterprise_id=ent.enterprise_id,
                    issuer_department_id=dept.id, application_id=None, issuer=dept.name)  # fmt: skip
    return 1
