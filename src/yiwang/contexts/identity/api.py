"""JSON routes of the identity context under /api/v1."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from urllib.parse import unquote, unquote_plus

from fastapi import APIRouter, Depends, Form, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from yiwang.contexts.identity import actions, actions_access
from yiwang.contexts.identity import repository as repo
from yiwang.contexts.identity.schemas import (
    RIC_SCHEMA,
    USCC_SCHEMA,
    DataAccessOut,
    DepartmentOut,
    EnterpriseIn,
    EnterpriseOut,
    MeOut,
    Page,
    PersonIn,
    PersonOut,
    PersonPatch,
    RegionOut,
    TokenOut,
)
from yiwang.contexts.identity.web import Caller, LoggedIn
from yiwang.core import authz
from yiwang.core.errors import Unauthenticated, ValidationFailed
from yiwang.core.web import contract
from yiwang.core.web.contract import Id
from yiwang.core.web.deps import DB, model_json
from yiwang.core.web.pagination import decode_cursor, encode_cursor
from yiwang.core.web.templating import local_time

router = APIRouter(prefix="/api/v1", tags=["identity"])
OAUTH_ERROR = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}  # fmt: skip
contract.own_errors("post", "/api/v1/oauth/token", {s: ("application/json", OAUTH_ERROR) for s in (400, 401)})


def _purpose(
    x_purpose: Annotated[
        str | None, Header(alias="X-Purpose", max_length=600, description="用途，UTF-8 百分号编码")
    ] = None,
) -> str | None:
    return unquote(x_purpose) if x_purpose else None


Purpose = Annotated[str | None, Depends(_purpose)]
Limit = Annotated[int, Query(ge=1, le=200)]


def _cursor_out(items: list[Any], limit: int) -> str | None:
    return encode_cursor(items[-1].id) if len(items) == limit else None


NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_error(error: str, description: str, status: int = 400, basic: bool = False) -> JSONResponse:
    """RFC 6749 §5.2: token endpoint errors are {"error", "error_description"}, not problem+json."""
    headers = dict(NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="yiwang"' if basic else 'Bearer realm="yiwang"'
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=headers
    )


@router.post(
    "/oauth/token",
    response_model=TokenOut,
    summary="换取访问令牌（OAuth 2.0 client_credentials，RFC 6749 §4.4）",
    responses={400: {"description": "RFC 6749 错误"}, 401: {"description": "invalid_client"}},
)
def token(
    request: Request,
    db: DB,
    actor: Caller,
    grant_type: Annotated[str | None, Form(json_schema_extra={"enum": ["client_credentials"]})] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    scope: Annotated[str | None, Form()] = None,
) -> Response:
    if not grant_type:
        return _oauth_error("invalid_request", "缺少 grant_type")
    if grant_type != "client_credentials":
        return _oauth_error("unsupported_grant_type", "仅支持 client_credentials")
    basic = request.headers.get("authorization", "")
    is_basic = basic.lower().startswith("basic ")
    if is_basic:
        try:
            raw_id, _, raw_secret = base64.b64decode(basic[6:], validate=True).decode().partition(":")
        except (ValueError, binascii.Error):
            return _oauth_error("invalid_client", "Basic 认证格式错误", 401, basic=True)
        client_id, client_secret = unquote_plus(raw_id), unquote_plus(raw_secret)  # RFC 6749 §2.3.1
    if not client_id or not client_secret:
        return _oauth_error("invalid_client", "缺少接入系统标识或密钥", 401, basic=is_basic)
    try:
        value, lifetime, granted = actions_access.token_issue(db, actor, client_id, client_secret, scope)
    except Unauthenticated as exc:
        return _oauth_error("invalid_client", exc.detail, 401, basic=is_basic)
    except ValidationFailed as exc:
        return _oauth_error("invalid_scope", exc.detail)
    body = TokenOut(access_token=value, expires_in=lifetime, scope=granted)
    return JSONResponse(body.model_dump(), headers=NO_STORE)


@router.get("/me", response_model=MeOut, summary="当前身份")
def me(actor: LoggedIn) -> MeOut:
    return MeOut(
        kind=actor.kind, name=actor.name, roles=sorted(actor.roles), region_code=actor.region_code,
        department_code=actor.department_code, person_id=actor.person_id, enterprise_id=actor.enterprise_id,
    )  # fmt: skip


@router.get("/me/data-access", response_model=list[DataAccessOut], summary="谁使用了我的数据")
def my_data_access(db: DB, actor: LoggedIn, limit: Limit = 100) -> list[DataAccessOut]:
    if actor.person_id is None and actor.enterprise_id is None:
        raise ValidationFailed("当前账号未关联自然人或企业")
    if actor.enterprise_id is not None:
        rows = actions.data_access_list(db, actor, enterprise_id=actor.enterprise_id, limit=limit)
    else:
        rows = actions.data_access_list(db, actor, actor.person_id, limit=limit)
    return [DataAccessOut(**{**r, "at": local_time(r["at"], "%Y-%m-%dT%H:%M:%S+08:00")}) for r in rows]  # type: ignore[arg-type]


@router.get("/persons", response_model=Page[PersonOut], summary="查询自然人（脱敏）")
def persons(
    db: DB,
    actor: Caller,
    purpose: Purpose,
    id_number: Annotated[str | None, Query(min_length=1, max_length=30, json_schema_extra=RIC_SCHEMA)] = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{6}(\d{3}){0,2}$")] = None,
    name: Annotated[str | None, Query(max_length=50)] = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> Page[PersonOut]:
    if id_number:
        return Page(items=[actions.person_find(db, actor, id_number, purpose)])
    items = actions.person_list(db, actor, region_code, name, decode_cursor(cursor), limit)
    return Page(items=items, next_cursor=_cursor_out(items, limit))


@router.get("/persons/{person_id}", response_model=PersonOut, summary="自然人详情")
def person(person_id: Id, db: DB, actor: Caller, purpose: Purpose) -> Response:
    out = actions.person_read(db, actor, person_id, purpose)
    db.commit()  # a read: end it here, in the route's thread; its audit record follows by group commit
    return model_json(out)


@router.post("/persons", response_model=PersonOut, status_code=201, summary="登记自然人")
def person_create(body: PersonIn, db: DB, actor: Caller) -> PersonOut:
    return actions.person_create(db, actor, body)


@router.patch("/persons/{person_id}", response_model=PersonOut, summary="修改联系方式")
def person_update(person_id: Id, body: PersonPatch, db: DB, actor: Caller) -> PersonOut:
    return actions.person_update(db, actor, person_id, body)


@router.get("/enterprises", response_model=Page[EnterpriseOut], summary="查询企业")
def enterprises(
    db: DB,
    actor: Caller,
    credit_code: Annotated[
        str | None, Query(min_length=1, max_length=30, json_schema_extra=USCC_SCHEMA)
    ] = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{6}(\d{3}){0,2}$")] = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> Page[EnterpriseOut]:
    if credit_code:
        return Page(items=[actions.enterprise_find(db, actor, credit_code)])
    items = actions.enterprise_list(db, actor, region_code, decode_cursor(cursor), limit)
    return Page(items=items, next_cursor=_cursor_out(items, limit))


@router.get("/enterprises/{enterprise_id}", response_model=EnterpriseOut, summary="企业详情")
def enterprise(enterprise_id: Id, db: DB, actor: Caller) -> EnterpriseOut:
    return actions.enterprise_read(db, actor, enterprise_id)


@router.post("/enterprises", response_model=EnterpriseOut, status_code=201, summary="登记企业")
def enterprise_create(body: EnterpriseIn, db: DB, actor: Caller) -> EnterpriseOut:
    return actions.enterprise_create(db, actor, body)


@router.get("/regions", response_model=list[RegionOut], summary="行政区划（GB/T 2260）")
def regions(
    db: DB,
    actor: Caller,
    parent_code: Annotated[str | None, Query(max_length=12)] = None,
    level: Annotated[str | None, Query(pattern="^(province|city|district|street|community)$")] = None,
) -> list[RegionOut]:
    authz.check(actor, "identity.organisation_read")
    return [RegionOut.model_validate(r, from_attributes=True) for r in repo.regions(db, parent_code, level)]


@router.get("/departments", response_model=list[DepartmentOut], summary="部门")
def departments(
    db: DB, actor: Caller, region_code: Annotated[str | None, Query(max_length=12)] = None
) -> list[DepartmentOut]:
    authz.check(actor, "identity.organisation_read")
    return [DepartmentOut.model_validate(d, from_attributes=True) for d in repo.departments(db, region_code)]


@router.get("/geo/{layer}", summary="区划与网格边界（GeoJSON FeatureCollection）")
def geo(
    layer: Annotated[str, Path(pattern="^(district|street|grid)$")],
    db: DB,
    actor: Caller,
    within: Annotated[str | None, Query(max_length=12)] = None,
) -> dict[str, Any]:
    authz.check(actor, "identity.organisation_read")
    if layer == "grid":
        rows = [(g.code, g.name, g.geometry) for g in repo.grids(db, within)]
    else:
        rows = [(r.code, r.name, r.geometry) for r in repo.regions(db, within, layer) if r.geometry]
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": code, "properties": {"code": code, "name": name}, "geometry": geom}
            for code, name, geom in rows
        ],
    }
