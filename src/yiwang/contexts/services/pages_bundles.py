"""Pages of 一件事 and 一业一证: what is bundled and what it saves, the one combined form, and the
bundle's progress step by step."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from yiwang.contexts.identity import Caller, LoggedIn
from yiwang.contexts.services import actions, actions_bundles
from yiwang.contexts.services.guides import needs
from yiwang.contexts.services.pages import _render
from yiwang.contexts.services.prefill import prefill
from yiwang.core.actor import Actor
from yiwang.core.errors import ValidationFailed
from yiwang.core.web.deps import DB
from yiwang.settings import get_settings

router = APIRouter(include_in_schema=False)
ID = Annotated[int, PathParam(ge=1, le=2**63 - 1)]
CODE = Annotated[str, PathParam(max_length=40)]


def _uploads(view: actions_bundles.BundleView) -> list[str]:
    produced = set(view.waits)
    names: list[str] = []
    for i in view.items:
        for m in needs(i.materials):
            if not m.waived and not (m.source == "elicense" and m.ref in produced) and m.name not in names:
                names.append(m.name)
    return names


def _page(request: Request, db: DB, actor: Actor, code: str, status: int = 200, **ctx: Any) -> Response:
    view = actions_bundles.bundle_get(db, actor, code)
    ctx.setdefault("values", {})
    ctx.setdefault("errors", {})
    ctx.setdefault("prefilled", [])
    return _render(request, "services_bundle.html", actor, status, v=view, uploads=_uploads(view),
                   key=ctx.pop("key", None) or uuid.uuid4().hex, **ctx)  # fmt: skip


@router.get("/services/bundles/{code}")
async def bundle_page(request: Request, db: DB, actor: Caller, code: CODE) -> Response:
    view = actions_bundles.bundle_get(db, actor, code)
    values: dict[str, str] = {}
    filled: list[str] = []
    if actor.kind == "user" and not actor.is_staff:
        for item in view.items:  # the exchange is read once per resource the form needs
            got, names = await prefill(db, actor, item)
            values.update({k: v for k, v in got.items() if k not in values})
            filled += [n for n in names if n not in filled]
    return _page(request, db, actor, code, values=values, prefilled=filled)


@router.post("/services/bundles/{code}")
async def bundle_submit(request: Request, db: DB, actor: LoggedIn, code: CODE) -> Response:
    view = actions_bundles.bundle_get(db, actor, code)
    raw = await request.form(max_files=30, max_fields=120)
    values = {k: str(raw.get(k) or "")[:2000] for k in view.fields}
    key = str(raw.get("idempotency_key") or "")[:64] or None
    filled = [f for f in str(raw.get("prefilled") or "").split(",") if f in view.fields]
    files: dict[str, int] = {}
    try:
        for i, name in enumerate(_uploads(view)):
            upload = raw.get(f"material_{i}")
            if isinstance(upload, UploadFile) and upload.filename:
                data = await upload.read(get_settings().upload_max_bytes + 1)
                files[name] = actions.file_upload(db, actor, name, upload.filename, data).id
        sub = actions_bundles.BundleSubmission(code, values, files, key)
        b, _new = actions_bundles.bundle_submit(db, actor, sub)
    except ValidationFailed as exc:
        db.rollback()
        errors = {e.field.removeprefix("form."): e.detail for e in exc.errors}
        return _page(request, db, actor, code, 422, values=values, errors=errors, key=key, prefilled=filled)
    return RedirectResponse(f"/services/bundle-applications/{b.id}?notice=submitted", status_code=303)


@router.get("/services/bundle-applications/{bundle_id}")
def bundle_application_page(request: Request, db: DB, actor: LoggedIn, bundle_id: ID) -> Response:
    b, apps = actions_bundles.bundle_application_get(db, actor, bundle_id)
    view = actions_bundles.bundle_get(db, actor, b.bundle_code)
    items = {i.id: i for i in view.items}
    return _render(request, "services_bundle_application.html", actor, b=b, apps=apps, items=items, v=view,
                   notice=request.query_params.get("notice", "")[:20])  # fmt: skip
