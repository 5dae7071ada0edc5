"""一网通办 pages: the guides (办事指南) with Chinese search, applying online or at a 综合窗口, and
the applicant's applications with their timeline. Staff act from the one to-do list."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from yiwang.contexts import identity
from yiwang.contexts.identity import Caller, LoggedIn
from yiwang.contexts.services import actions, cases
from yiwang.contexts.services.api import STATE_ZH
from yiwang.contexts.services.guides import bring_before_after, needs
from yiwang.contexts.services.items import CHANNELS
from yiwang.contexts.services.models import ServiceItem
from yiwang.contexts.services.prefill import prefill
from yiwang.core import authz, workflow
from yiwang.core.actor import Actor
from yiwang.core.errors import Forbidden, ValidationFailed
from yiwang.core.web import nav
from yiwang.core.web.deps import DB
from yiwang.core.web.templating import add_template_folder, templates
from yiwang.settings import get_settings

router = APIRouter(include_in_schema=False)
add_template_folder(Path(__file__).parent / "templates")
ID = Annotated[int, PathParam(ge=1, le=2**63 - 1)]
CODE = Annotated[str, PathParam(max_length=20)]

nav.add_nav("办事服务", "/services", order=10)
nav.add_nav("我的办件", "/services/applications", frozenset({"citizen", "enterprise"}), order=11)
nav.add_card("citizen", "办事服务", "查找办事指南，网上申请，共享数据自动填表、免交材料。", "/services", 5)
nav.add_card("enterprise", "办事服务", "开办企业、经营许可等事项网上申请，少交材料、少跑腿。", "/services", 5)
nav.add_card(
    "window_clerk", "综合窗口受理", "为窗口前的群众和企业受理任何部门的事项，材料当场核验。", "/services", 5
)


def _render(request: Request, name: str, actor: Actor, status: int = 200, **ctx: Any) -> Response:
    ctx.update(actor=actor, csrf=getattr(request.state, "csrf", ""), CHANNELS=CHANNELS, STATE_ZH=STATE_ZH)
    return templates.TemplateResponse(request, name, ctx, status_code=status)


def _yuan(fen: int) -> str:
    return "免费" if fen == 0 else f"{fen / 100:.2f} 元"


def _guide(db: DB, item: ServiceItem) -> dict[str, Any]:
    dept = identity.department(db, item.department_id)
    before, after = bring_before_after(item.materials)
    steps = [s.label for s in workflow.registered(item.workflow_code).states.values()
             if s.kind in ("initial", "active")] + ["办结"]  # fmt: skip
    return {"item": item, "dept": dept.name if dept else "", "materials": needs(item.materials), "before": before,
            "after": after, "steps": steps, "fee": _yuan(item.fee_fen)}  # fmt: skip


@router.get("/services")
def item_list(
    request: Request, db: DB, actor: Caller, q: Annotated[str, Query(max_length=100)] = ""
) -> Response:
    from yiwang.contexts.services import actions_bundles
    from yiwang.contexts.services.bundles import BUNDLES

    items = actions.item_list(db, actor, q)
    depts = {d.id: d.name for d in identity.departments(db)}
    bundles = [actions_bundles.bundle_get(db, actor, b.code) for b in BUNDLES]
    return _render(
        request, "services_items.html", actor, items=items, depts=depts, q=q.strip(), bundles=bundles
    )


@router.get("/services/items/{code}")
def item_page(request: Request, db: DB, actor: Caller, code: CODE) -> Response:
    item = actions.item_get(db, actor, code)
    return _render(request, "services_item.html", actor, **_guide(db, item))


def _apply_form(request: Request, db: DB, actor: Actor, item: ServiceItem, status: int = 200,
                values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                key: str | None = None, prefilled: list[str] | None = None) -> Response:  # fmt: skip
    window = actor.has("window_clerk")
    return _render(request, "services_apply.html", actor, status, **_guide(db, item), values=values or {},
                   errors=errors or {}, key=key or uuid.uuid4().hex, window=window,
                   prefilled=prefilled or [])  # fmt: skip


@router.get("/services/items/{code}/apply")
async def apply_page(request: Request, db: DB, actor: LoggedIn, code: CODE) -> Response:
    item = actions.item_get(db, actor, code)
    channel = "window" if actor.has("window_clerk") else "online"
    decision = authz.decide(actor, "services.application_submit", actions.submit_target(item, channel))
    if not decision:
        raise Forbidden(decision.reason)
    values, filled = ({}, []) if channel == "window" else await prefill(db, actor, item)
    return _apply_form(request, db, actor, item, values=values, prefilled=filled)


@router.post("/services/items/{code}/apply")
async def apply_submit(request: Request, db: DB, actor: LoggedIn, code: CODE) -> Response:
    item = actions.item_get(db, actor, code)
    raw = await request.form(max_files=30, max_fields=100)
    props = item.form_schema.get("properties", {})
    values = {k: str(raw.get(k) or "")[:2000] for k in props}
    key = str(raw.get("idempotency_key") or "")[:64] or None
    filled = [f for f in str(raw.get("prefilled") or "").split(",") if f in props]
    channel = "window" if actor.has("window_clerk") else "online"
    files: dict[str, int] = {}
    try:
        for i, m in enumerate(needs(item.materials)):
            upload = raw.get(f"material_{i}")
            if m.waived or not isinstance(upload, UploadFile) or not upload.filename:
                continue
            data = await upload.read(get_settings().upload_max_bytes + 1)
            try:
                files[m.name] = actions.file_upload(db, actor, m.name, upload.filename, data).id
            except ValidationFailed as exc:
                raise ValidationFailed(exc.detail, [type(e)(f"materials.{i}", f"{m.name}：{e.detail}", e.code)
                                                    for e in exc.errors]) from exc  # fmt: skip
        a, _new = actions.application_submit(
            db, actor, actions.Submission(code, values, files, channel, key, tuple(filled))
        )
    except ValidationFailed as exc:
        db.rollback()
        errors = {e.field.removeprefix("form."): e.detail for e in exc.errors}
        return _apply_form(request, db, actor, item, 422, values, errors, key, filled)
    return RedirectResponse(f"/services/applications/{a.id}?notice=submitted", status_code=303)


@router.get("/services/applications")
def my_applications(request: Request, db: DB, actor: LoggedIn) -> Response:
    rows = actions.applications_mine(db, actor)
    items = actions.items_by_ids(db, actor, [a.item_id for a in rows])
    case_of = cases.cases_of(db, rows)
    return _render(request, "services_applications.html", actor, rows=rows, items=items, cases=case_of)


@router.get("/services/applications/{application_id}")
def application_page(request: Request, db: DB, actor: LoggedIn, application_id: ID,
                     notice: Annotated[str, Query(max_length=20)] = "") -> Response:  # fmt: skip
    a = actions.application_get(db, actor, application_id)
    item = actions.items_by_ids(db, actor, [a.item_id])[a.item_id]
    case = cases.case_of(db, a)
    choices = workflow.choices(db, actor, case) if case else []
    history = workflow.history(db, case.id) if case else []
    dept = identity.department(db, a.handling_department_id)
    from yiwang.contexts.services import repository as repo
    from yiwang.contexts.services.actions_evaluations import REASONS
    from yiwang.contexts.services.evaluations import RATINGS

    rated = repo.evaluation_of(db, a.id)
    may_rate = (
        rated is None and actor.id == a.applicant_user_id and a.status in ("completed", "refused", "rejected")
    )
    return _render(request, "services_application.html", actor, a=a, item=item, case=case, choices=choices,
                   history=history, dept=dept.name if dept else "", notice=notice, rated=rated, may_rate=may_rate,
                   RATINGS=RATINGS, REASONS=REASONS)  # fmt: skip


@router.post("/services/applications/{application_id}/evaluation")
async def rate(request: Request, db: DB, actor: LoggedIn, application_id: ID) -> Response:
    from yiwang.contexts.services import actions_evaluations as ev

    raw = await request.form(max_fields=20)
    try:
        rating = int(str(raw.get("rating") or "0"))
    except ValueError:
        rating = 0
    reasons = tuple(str(x)[:20] for x in raw.getlist("reasons"))[:8]
    comment = str(raw.get("comment") or "")[:500]
    try:
        ev.evaluation_submit(db, actor, application_id, ev.Rating(rating, reasons, comment))
    except ValidationFailed as exc:
        db.rollback()
        return RedirectResponse(f"/services/applications/{application_id}?notice=rate_error", status_code=303) \
            if exc.errors else Response(status_code=422)  # fmt: skip
    return RedirectResponse(f"/services/applications/{application_id}?notice=rated", status_code=303)


@router.get("/services/evaluations")
def evaluation_stats_page(request: Request, db: DB, actor: Caller) -> Response:
    from yiwang.contexts.services import actions_evaluations as ev

    return _render(request, "services_evaluations.html", actor, rows=ev.evaluation_stats(db, actor))
