"""JSON routes of 一件事 bundles and 一业一证 under /api/v1/services."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Response
from pydantic import BaseModel, Field

from yiwang.contexts.identity import Caller
from yiwang.contexts.services import actions_bundles as actions
from yiwang.contexts.services.actions_bundles import BundleView
from yiwang.contexts.services.api import STATE_ZH
from yiwang.contexts.services.bundles import BUNDLES
from yiwang.core.web.deps import DB

router = APIRouter(prefix="/api/v1/services", tags=["services"])
ID = Annotated[int, Path(ge=1, le=2**63 - 1)]
KEY = Annotated[str | None, Header(alias="Idempotency-Key", max_length=64, pattern=r"^[\w.:-]{8,64}$")]


class BundleIn(BaseModel):
    form: dict[str, str | int | None] = Field(default_factory=dict, max_length=80)
    files: dict[str, int] = Field(default_factory=dict, max_length=40)


def _out(v: BundleView) -> dict[str, Any]:
    s = v.saving
    return {
        "code": v.spec.code, "name": v.spec.name, "description": v.spec.description,
        "industry_license": v.spec.industry_license or None,
        "steps": [{"item_code": i.code, "item_name": i.name, "waits_for": list(v.waits[i.code])} for i in v.items],
        "form_fields": list(v.fields),
        "saving": {k: {"one_by_one": getattr(s, k)[0], "bundled": getattr(s, k)[1]}
                   for k in ("items", "materials", "visits", "days")},
    }  # fmt: skip


@router.get("/bundles", summary="一件事与一业一证：组合的事项与节省的材料、跑动、时间")
def bundle_list(db: DB, actor: Caller) -> list[dict[str, Any]]:
    return [_out(actions.bundle_get(db, actor, b.code)) for b in BUNDLES]


@router.get("/bundles/{code}", summary="一件事详情")
def bundle_read(db: DB, actor: Caller, code: Annotated[str, Path(max_length=40)]) -> dict[str, Any]:
    return _out(actions.bundle_get(db, actor, code))


def bundle_application_out(db: DB, actor: Any, bundle_id: int) -> dict[str, Any]:
    b, apps = actions.bundle_application_get(db, actor, bundle_id)
    return {"id": b.id, "number": b.number, "bundle": b.bundle_code, "status": b.status,
            "applications": [{"id": a.id, "number": a.number, "status": a.status,
                              "status_label": "等待前序事项" if a.status == "waiting" else STATE_ZH.get(a.status, a.status),
                              "waits_for": a.waits_for, "materials": a.materials} for a in apps]}  # fmt: skip


@router.post("/bundles/{code}/applications", status_code=201, summary="一件事一次申请（Idempotency-Key）")
def bundle_submit(
    db: DB, actor: Caller, code: Annotated[str, Path(max_length=40)], body: BundleIn, response: Response,
    key: KEY = None,
) -> dict[str, Any]:  # fmt: skip
    form = {k: "" if v is None else str(v) for k, v in body.form.items()}
    b, created = actions.bundle_submit(db, actor, actions.BundleSubmission(code, form, body.files, key))
    if not created:
        response.status_code = 200
    return bundle_application_out(db, actor, b.id)


@router.get("/bundle-applications/{bundle_id}", summary="一件事申请的办理情况")
def bundle_application_read(db: DB, actor: Caller, bundle_id: ID) -> dict[str, Any]:
    return bundle_application_out(db, actor, bundle_id)
