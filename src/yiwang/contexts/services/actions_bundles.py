"""一件事 and 一业一证: one combined form for several items, each item an application of its own
on the workflow engine; a step waits for the steps it depends on and starts when they are
completed (`cases.py`); what bundling saves is computed from the items' data (`bundles.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiwang.contexts.services import cases
from yiwang.contexts.services import repository as repo
from yiwang.contexts.services.actions import _applicant, _materials, _number
from yiwang.contexts.services.bundles import BundleSpec, Saving, bundle, combined_fields, saving
from yiwang.contexts.services.forms import validate
from yiwang.contexts.services.models import Application, BundleApplication, ServiceItem
from yiwang.contexts.services.policies import BundleTarget
from yiwang.core import audit, authz
from yiwang.core.actor import Actor
from yiwang.core.db import utcnow
from yiwang.core.errors import FieldError, NotFound, ValidationFailed


@dataclass(frozen=True)
class BundleView:
    spec: BundleSpec
    items: list[ServiceItem]
    saving: Saving
    fields: dict[str, dict[str, Any]]
    waits: dict[str, tuple[str, ...]]


def _spec(code: str) -> BundleSpec:
    spec = bundle(code)
    if spec is None:
        raise NotFound("未找到该一件事")
    return spec


def bundle_get(session: Session, actor: Actor, code: str) -> BundleView:
    spec = _spec(code)
    authz.check(actor, "services.item_read", None)
    found = repo.items_by_codes(session, [c for c, _ in spec.steps])
    items = [found[c] for c, _ in spec.steps if c in found]
    if len(items) != len(spec.steps):
        raise NotFound("该一件事的事项尚未发布")
    return BundleView(spec, items, saving(spec, found), combined_fields(items), dict(spec.steps))


@dataclass(frozen=True)
class BundleSubmission:
    code: str
    form: dict[str, Any]
    files: dict[str, int] = field(default_factory=dict)
    idempotency_key: str | None = None


def _validated(items: list[ServiceItem], form: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Each item's part of the combined form, all errors of all items at once (each field once)."""
    known = {n for i in items for n in i.form_schema.get("properties", {})}
    errors: dict[str, FieldError] = {f"form.{k}": FieldError(f"form.{k}"[:80], "表单中没有这一项", "extra_forbidden")
                                     for k in form if k not in known}  # fmt: skip
    out: dict[str, dict[str, str]] = {}
    for i in items:
        own = {k: v for k, v in form.items() if k in i.form_schema.get("properties", {})}
        try:
            out[i.code] = validate(i.form_schema, own)
        except ValidationFailed as exc:
            for e in exc.errors:
                errors.setdefault(e.field, e)
    if errors:
        raise ValidationFailed("申请表填写有误，请按提示修改", list(errors.values()))
    return out


def bundle_submit(session: Session, actor: Actor, sub: BundleSubmission) -> tuple[BundleApplication, bool]:
    spec = _spec(sub.code)
    authz.check(actor, "services.bundle_submit", BundleTarget(spec.subject))
    view = bundle_get(session, actor, sub.code)
    by = f"user:{actor.id}"
    if sub.idempotency_key:
        earlier = repo.bundle_by_key(session, by, sub.idempotency_key)
        if earlier is not None:
            return earlier, False
    forms = _validated(view.items, sub.form)
    produced = frozenset(view.waits)
    materials = {
        i.code: _materials(session, actor, i, sub.files, "online", produced, in_bundle=True)
        for i in view.items
    }
    first = view.items[0]
    who = _applicant(session, actor, first, forms[first.code], "online")
    b = BundleApplication(number=f"tmp-{utcnow().timestamp()}-{actor.id}", bundle_code=spec.code, status="open",
                          applicant_user_id=actor.id, applicant_name=who["applicant_name"], submitted_by=by,
                          idempotency_key=sub.idempotency_key, form={k: str(v) for k, v in sub.form.items()})  # fmt: skip
    try:
        with session.begin_nested():
            repo.add(session, b)
    except IntegrityError:
        earlier = repo.bundle_by_key(session, by, sub.idempotency_key or "")
        if earlier is None:
            raise
        return earlier, False
    b.number = f"YJS{utcnow():%Y%m%d}{b.id:07d}"
    audit.record(session, actor, "services.bundle_submit", "service_bundle_application", b.id,
                 detail={"bundle": spec.code, "items": [i.code for i in view.items], "number": b.number})  # fmt: skip
    for item in view.items:
        waits = list(view.waits[item.code])
        a = Application(
            number=f"tmp-{item.code}-{b.id}", item_id=item.id, status="waiting" if waits else "submitted",
            channel="online", submitted_by=by, idempotency_key=None, window_department_id=None,
            accepted_region=item.region_code, handling_region=item.region_code,
            handling_department_id=item.department_id, form=forms[item.code], materials=materials[item.code],
            bundle_id=b.id, waits_for=waits, **who,
        )  # fmt: skip
        repo.add(session, a)
        a.number = _number(a.id)
        audit.record(session, actor, "services.application_submit", "service_application", a.id,
                     detail={"item": item.code, "bundle": b.number, "number": a.number, "waits_for": waits})  # fmt: skip
        if not waits:
            cases.open_case(session, actor, a, item)
    for fid in {m["file_id"] for ms in materials.values() for m in ms if m.get("file_id")}:
        f = repo.file(session, fid)
        if f is not None and f.application_id is None:
            f.application_id = next(a.id for a in repo.applications_of_bundle(session, b.id))
    session.flush()
    return b, True


def bundle_application_get(
    session: Session, actor: Actor, bundle_id: int
) -> tuple[BundleApplication, list[Application]]:
    b = _bundle_application(session, bundle_id)
    authz.check(actor, "services.bundle_read", b)
    return b, repo.applications_of_bundle(session, b.id)


def _bundle_application(session: Session, bundle_id: int) -> BundleApplication:
    b = repo.bundle_application(session, bundle_id)
    if b is None:
        raise NotFound("一件事申请不存在")
    return b


def bundles_mine(session: Session, actor: Actor) -> list[BundleApplication]:
    authz.check(actor, "services.application_list", None)
    return repo.bundles_of(session, actor.id) if actor.id is not None else []
