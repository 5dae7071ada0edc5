"""JSON routes of the exchange under /api/v1/exchange."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from yiwang.contexts.exchange import actions, actions_use
from yiwang.contexts.exchange.schemas import (
    ApproveIn,
    BatchIn,
    BatchOut,
    GrantOut,
    ReasonIn,
    RecordsOut,
    RefuseIn,
    RequestIn,
    RequestOut,
    RevokeIn,
    SupplementIn,
    VerifyIn,
    VerifyOut,
)
from yiwang.contexts.exchange.usage import refusals_logged
from yiwang.contexts.exchange.use_headers import OPENAPI as USE_HEADERS
from yiwang.contexts.exchange.use_headers import Use
from yiwang.contexts.identity import Caller
from yiwang.core.web.deps import DB, plain_json
from yiwang.core.web.pagination import decode_cursor, encode_cursor

router = APIRouter(prefix="/api/v1/exchange", tags=["exchange"])


def _fields(fields: str | None) -> list[str] | None:
    return [f.strip() for f in fields.split(",") if f.strip()] if fields else None


@router.get(
    "/resources/{code}/records/{key}",
    response_model=RecordsOut,
    openapi_extra=USE_HEADERS,
    summary="按主键查询（身份证号或统一社会信用代码）",
)
async def lookup(code: str, key: str, call: Use, fields: str | None = None) -> Response:
    # On the event loop: its one SELECT is awaited there (`core.reads`), its records follow by
    # group commit before the answer leaves (`core.web.deps.UnitOfWork`).
    db, actor, ctx = call.db, call.actor, call.ctx
    with refusals_logged(actor, ctx, "lookup", code):
        out = await actions_use.record_lookup(db, actor, code, key, _fields(fields), ctx)
    return plain_json(out)


@router.post("/resources/{code}/batch", response_model=BatchOut, summary="批量按主键查询（最多 1000 个）",
             openapi_extra=USE_HEADERS)  # fmt: skip
async def batch(code: str, body: BatchIn, call: Use) -> Response:
    db, actor, ctx = call.db, call.actor, call.ctx  # on the event loop, as `lookup`
    with refusals_logged(actor, ctx, "batch", code):
        out = await actions_use.record_batch(db, actor, code, body.keys, body.fields, ctx)
    return plain_json(out)


@router.get("/resources/{code}/records", response_model=RecordsOut, summary="条件查询（游标分页）",
            openapi_extra=USE_HEADERS)  # fmt: skip
def query(
    code: str,
    request: Request,
    call: Use,
    fields: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> RecordsOut:
    db, actor, ctx = call.db, call.actor, call.ctx
    reserved = {"fields", "cursor", "limit"}
    filters = {k: v for k, v in request.query_params.items() if k not in reserved}
    after = decode_cursor(cursor)
    with refusals_logged(actor, ctx, "query", code):
        out, last = actions_use.record_query(db, actor, code, filters, _fields(fields), after, limit, ctx)
    out.next_cursor = encode_cursor(last)
    return out


@router.post("/resources/{code}/verify", response_model=VerifyOut, summary="数据核验：只回答是否一致",
             openapi_extra=USE_HEADERS)  # fmt: skip
def verify(code: str, body: VerifyIn, call: Use) -> VerifyOut:
    db, actor, ctx = call.db, call.actor, call.ctx
    with refusals_logged(actor, ctx, "verify", code):
        return actions_use.record_verify(db, actor, code, body.key, body.values, ctx)


@router.post("/requests", response_model=RequestOut, status_code=201, summary="提出共享申请")
def request_create(body: RequestIn, db: DB, actor: Caller) -> RequestOut:
    return actions.request_create(db, actor, body)


@router.get("/requests", response_model=list[RequestOut], summary="共享申请列表")
def request_list(
    db: DB,
    actor: Caller,
    direction: Annotated[str, Query(pattern="^(incoming|outgoing|overdue|all)$")] = "incoming",
    status: Annotated[str | None, Query(pattern="^(pending|supplement|approved|refused|withdrawn)$")] = None,
) -> list[RequestOut]:
    if direction in ("overdue", "all"):
        return actions.request_oversight(db, actor, direction, status)
    return actions.request_list(db, actor, direction, status)


@router.get("/requests/{request_id}", response_model=RequestOut, summary="共享申请详情")
def request_read(request_id: int, db: DB, actor: Caller) -> RequestOut:
    return actions.request_read(db, actor, request_id)


@router.post("/requests/{request_id}/approve", response_model=RequestOut, summary="同意共享申请")
def request_approve(request_id: int, body: ApproveIn, db: DB, actor: Caller) -> RequestOut:
    return actions.request_approve(db, actor, request_id, body)


@router.post("/requests/{request_id}/refuse", response_model=RequestOut, summary="拒绝共享申请（须说明理由）")
def request_refuse(request_id: int, body: RefuseIn, db: DB, actor: Caller) -> RequestOut:
    return actions.request_refuse(db, actor, request_id, body)


@router.post("/requests/{request_id}/request-supplement", response_model=RequestOut,
             summary="要求补正（退回申请部门，审批计时暂停）")  # fmt: skip
def request_supplement_ask(request_id: int, body: ReasonIn, db: DB, actor: Caller) -> RequestOut:
    return actions.request_supplement_ask(db, actor, request_id, body)


@router.post(
    "/requests/{request_id}/supplement", response_model=RequestOut, summary="提交补正（审批计时继续）"
)
def request_supplement(request_id: int, body: SupplementIn, db: DB, actor: Caller) -> RequestOut:
    return actions.request_supplement(db, actor, request_id, body)


@router.post("/requests/{request_id}/withdraw", response_model=RequestOut, summary="撤回共享申请")
def request_withdraw(request_id: int, body: ReasonIn, db: DB, actor: Caller) -> RequestOut:
    return actions.request_withdraw(db, actor, request_id, body)


@router.get("/grants", response_model=list[GrantOut], summary="本部门获得的授权")
def grant_list(db: DB, actor: Caller) -> list[GrantOut]:
    return actions.grant_list(db, actor)


@router.post("/grants/{grant_id}/revoke", response_model=GrantOut, summary="撤销授权")
def grant_revoke(grant_id: int, body: RevokeIn, db: DB, actor: Caller) -> GrantOut:
    return actions.grant_revoke(db, actor, grant_id, body)
