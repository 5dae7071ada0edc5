"""JSON routes of 一网通办 under /api/v1/services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Path, Query, Response, UploadFile
from pydantic import BaseModel, Field

from yiwang.contexts.identity import Caller
from yiwang.contexts.services import actions, cases
from yiwang.contexts.services.actions_cases import STEPS, Step
from yiwang.contexts.services.guides import needs
from yiwang.contexts.services.models import Application, ServiceItem
from yiwang.contexts.services.schemas import (
    ApplicationIn,
    ApplicationOut,
    FileOut,
    ItemOut,
    MaterialOut,
    StepIn,
)
from yiwang.core.errors import FieldError, NotFound, ValidationFailed
from yiwang.core.web import body_limit
from yiwang.core.web.deps import DB
from yiwang.settings import get_settings

router = APIRouter(prefix="/api/v1/services", tags=["services"])

# Materials are larger than the API's default body limit: one file up to `upload_max_bytes` (the
# action then answers a field-keyed 422 when it is over), a page's form with several of them.
_UPLOAD = get_settings().upload_max_bytes + 1024 * 1024  # the multipart envelope around it
body_limit.allow_larger(r"/api/v1/services/files", _UPLOAD)
body_limit.allow_larger(r"/services/(items/[^/]+/apply|bundles/[^/]+)", 8 * _UPLOAD)
ID = Annotated[int, Path(ge=1, le=2**63 - 1)]
KEY = Annotated[str | None, Header(alias="Idempotency-Key", max_length=64, pattern=r"^[\w.:-]{8,64}$")]
STATE_ZH = {"submitted": "待受理", "reviewing": "审查中", "supplement": "待补正", "deciding": "待决定",
            "decided": "待办结", "completed": "已办结", "refused": "不予许可", "rejected": "不予受理",
            "withdrawn": "已撤回"}  # fmt: skip


def item_out(db: DB, item: ServiceItem) -> ItemOut:
    from yiwang.contexts import identity

    dept = identity.department(db, item.department_id)
    return ItemOut(
        code=item.code, name=item.name, power_type=item.power_type, department=dept.name if dept else "",
        region_code=item.region_code, legal_days=item.legal_days, promised_days=item.promised_days,
        fee_fen=item.fee_fen, channels=item.channels, visits_required=item.visits_required,
        any_window=item.any_window, cross_province=item.cross_province, legal_basis=item.legal_basis,
        conditions=item.conditions, workflow=item.workflow_code, form_schema=item.form_schema,
        materials=[MaterialOut(name=m.name, source=m.source, source_label=m.source_zh, waived=m.waived, note=m.note)
                   for m in needs(item.materials)],
    )  # fmt: skip


def application_out(db: DB, a: Application, item: ServiceItem) -> ApplicationOut:
    case = cases.case_of(db, a)
    return ApplicationOut(
        id=a.id, number=a.number, item_code=item.code, item_name=item.name, status=a.status,
        status_label=STATE_ZH.get(a.status, a.status), channel=a.channel, applicant_name=a.applicant_name,
        materials=a.materials, due_at=case.due_at if case else None, paused=bool(case and case.paused),
        revision=case.revision if case else 0, created_at=a.created_at,
    )  # fmt: skip


@router.get("/items", response_model=list[ItemOut], summary="政务服务事项（可按关键词检索）")
def item_list(db: DB, actor: Caller, q: Annotated[str, Query(max_length=100)] = "") -> list[ItemOut]:
    return [item_out(db, i) for i in actions.item_list(db, actor, q)]


@router.get("/items/{code}", response_model=ItemOut, summary="事项详情（办事指南）")
def item_read(db: DB, actor: Caller, code: Annotated[str, Path(max_length=20)]) -> ItemOut:
    return item_out(db, actions.item_get(db, actor, code))


@router.get("/items/{code}/prefill", summary="申请表预填（经共享授权读取申请人本人的信息，记入使用日志）")
async def item_prefill(db: DB, actor: Caller, code: Annotated[str, Path(max_length=20)]) -> dict[str, object]:
    from yiwang.contexts.services.prefill import prefill

    item = actions.item_get(db, actor, code)
    values, filled = await prefill(db, actor, item)
    return {"values": values, "prefilled": filled}


@router.post("/files", response_model=FileOut, status_code=201, summary="上传申请材料（PDF、PNG、JPEG）")
async def file_upload(
    db: DB, actor: Caller, file: Annotated[UploadFile, File()], material: Annotated[str, Form(max_length=120)]
) -> FileOut:
    from yiwang.settings import get_settings

    data = await file.read(get_settings().upload_max_bytes + 1)
    f = actions.file_upload(db, actor, material, file.filename or "", data)
    return FileOut(id=f.id, material=f.material, content_type=f.content_type, size=f.size)


@router.post("/applications", response_model=ApplicationOut, status_code=201,
             summary="提交申请（Idempotency-Key：重复提交只产生一件）")  # fmt: skip
def application_submit(
    body: ApplicationIn, db: DB, actor: Caller, response: Response, key: KEY = None
) -> ApplicationOut:
    form = {k: "" if v is None else str(v) for k, v in body.form.items()}
    sub = actions.Submission(body.item_code, form, body.files, body.channel, key)
    a, created = actions.application_submit(db, actor, sub)
    if not created:
        response.status_code = 200
    response.headers["Location"] = f"/api/v1/services/applications/{a.id}"
    return application_out(db, a, actions.item_get(db, actor, sub.item_code))


@router.get("/applications", response_model=list[ApplicationOut], summary="我的办件")
def application_list(db: DB, actor: Caller) -> list[ApplicationOut]:
    rows = actions.applications_mine(db, actor)
    items = actions.items_by_ids(db, actor, [a.item_id for a in rows])
    return [application_out(db, a, items[a.item_id]) for a in rows]


@router.get("/applications/{application_id}", response_model=ApplicationOut, summary="办件详情")
def application_read(application_id: ID, db: DB, actor: Caller) -> ApplicationOut:
    a = actions.application_get(db, actor, application_id)
    return application_out(db, a, actions.items_by_ids(db, actor, [a.item_id])[a.item_id])


@router.post("/applications/{application_id}/steps/{code}", response_model=ApplicationOut,
             summary="办件流转：accept 受理、reject_acceptance 不予受理、request_supplement 补正、supplement 提交补正、"
                     "review 审查、decide 准予、refuse 不予许可、complete 办结、withdraw 撤回")  # fmt: skip
def application_step(
    application_id: ID, code: Annotated[str, Path(max_length=30)], body: StepIn, db: DB, actor: Caller
) -> ApplicationOut:
    fn = STEPS.get(code)
    if fn is None:
        raise NotFound("办件没有这项操作")
    if body.reason is not None and not body.reason.strip():
        raise ValidationFailed("请填写理由", [FieldError("reason", "请填写理由（至少 2 个字）", "missing")])
    a = fn(db, actor, application_id, Step(body.revision, body.comment, body.reason))
    return application_out(db, a, actions.items_by_ids(db, actor, [a.item_id])[a.item_id])


class EvaluationIn(BaseModel):
    rating: int = Field(ge=1, le=5, description="5 非常满意 … 1 非常不满意")
    reasons: list[str] = Field(default_factory=list, max_length=8)
    comment: str = Field("", max_length=500)


@router.post(
    "/applications/{application_id}/evaluation", status_code=201, summary="好差评（办结后，申请人本人）"
)
def evaluation_submit(application_id: ID, body: EvaluationIn, db: DB, actor: Caller) -> dict[str, object]:
    from yiwang.contexts.services import actions_evaluations as ev

    e = ev.evaluation_submit(
        db, actor, application_id, ev.Rating(body.rating, tuple(body.reasons), body.comment)
    )
    return {"id": e.id, "rating": e.rating, "status": e.status}


@router.get("/evaluations/stats", summary="好差评统计（按部门：满意率、整改率）")
def evaluation_stats(db: DB, actor: Caller) -> list[dict[str, object]]:
    from yiwang.contexts.services import actions_evaluations as ev

    return ev.evaluation_stats(db, actor)
