"""CKAN Action API (read side) over the catalog, so CKAN clients and harvesters work unchanged.

Routes: `/api/3/action/<action>` and `/api/action/<action>` (ckanapi's RemoteCKAN uses the
latter), GET with query parameters or POST with a JSON object body, as CKAN accepts them.
Actions: package_list, package_show, package_search (fq, facet.field, sort, start, rows),
organization_list, organization_show, site_read, help_show, and from `ckan_more`: status_show,
license_list, tag_list, group_list, resource_show. The catalog is public: no key is needed.

Envelope, as CKAN's `ckan/views/api.py` writes it:
  {"help": "<base>/api/3/action/help_show?name=<action>", "success": true, "result": ...}
  {"help": ..., "success": false, "error": {"__type": "Not Found Error", "message": "未找到"}}  404
  {"help": ..., "success": false, "error": {"rows": ["必须是非负整数"], "__type": "Validation Error"}}  409
  "Search Query Error" 400 (an unsupported fq or sort); an unknown action is a bare JSON string, 400.

One package per published data resource: `id` is the resource id as a string, `name` the
resource code lower-cased (330100-mz-0001; package_show accepts either). One organisation per
department: `name` is the department code lower-cased (330100-civil_affairs). The fields of
a resource travel twice: as the extra `fields` (a JSON string, which generic clients and
harvesters copy) and as the top-level key `yiwang_fields` (the same list, structured).
"""

from __future__ import annotations

import inspect
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from yiwang.contexts import identity
from yiwang.contexts.catalog import actions, ckan_more
from yiwang.contexts.catalog.ckan_params import (
    CkanError,
    boolean,
    invalid,
    natural,
    not_found,
    query_error,
    text,
)
from yiwang.contexts.catalog.repository import ResourceQuery
from yiwang.contexts.catalog.schemas import OPEN_TYPE_ZH, ResourceOut
from yiwang.core.actor import Actor
from yiwang.core.errors import DomainError
from yiwang.core.web import contract
from yiwang.core.web.deps import DB

_ID = re.compile(r"[0-9]{1,18}")  # not str.isdigit(): it accepts "²" and unbounded integers

router = APIRouter(prefix="/api", tags=["ckan"])
log = logging.getLogger(__name__)

ROWS_DEFAULT, ROWS_MAX = 10, 1000  # CKAN: rows defaults to 10 and is capped at ckan.search.rows_max
ORG_LIST_MAX, ORG_LIST_ALL_FIELDS_MAX = 1000, 25  # CKAN's group_and_organization_list(_all_fields)_max
SORTS = {  # CKAN sort field -> repository order
    "metadata_modified": "modified", "metadata_created": "created", "name": "code",
    "title_string": "name", "title": "name", "id": "id",
}  # fmt: skip
CONSTANT_FIELDS = {"capacity": "public", "state": "active", "type": "dataset", "dataset_type": "dataset",
                   "res_format": "api"}  # fmt: skip
_FQ_TERM = re.compile(r'([+-]?)([A-Za-z_]+):(\([^)]*\)|"[^"]*"|\[[^\]]*\]|\S+)|(\S+)')


# ---- parameters -------------------------------------------------------------------------


@dataclass
class Call:
    data: dict[str, Any] = field(default_factory=dict)
    actor: Actor | None = None
    bad_request: str = ""  # CKAN answers unreadable input with a bare 400 string
    refused: DomainError | None = None


def _mixed(items: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in items:
        if key in out:
            out[key] = [*out[key], value] if isinstance(out[key], list) else [out[key], value]
        else:
            out[key] = value
    return out


async def read_call(request: Request, db: DB) -> Call:
    """The action's parameters (query string, then a JSON or form body) and the caller."""
    call = Call(data=_mixed(list(request.query_params.multi_items())))
    if request.method == "POST":
        body = await request.body()
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            call.data.update(_mixed(list((await request.form()).multi_items())))
        elif body.strip():
            try:
                data = json.loads(body)
            except ValueError as exc:
                call.bad_request = f"请求无效 - JSON 格式错误: {exc}"
                return call
            if not isinstance(data, dict):
                call.bad_request = "请求无效 - 请求数据必须是 JSON 对象"
                return call
            call.data.update(data)
    try:
        call.actor = await identity.authenticate(request, db)
    except DomainError as exc:
        call.refused = exc
    return call


# ---- dictization ------------------------------------------------------------------------


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat()


def org_dict(dept: Any, package_count: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(dept.id), "name": dept.code.lower(), "title": dept.name, "display_name": dept.name,
        "description": f"{dept.name}（部门代码 {dept.code}，行政区划 {dept.region_code}）",
        "type": "organization", "state": "active", "is_organization": True, "approval_status": "approved",
        "image_url": "", "image_display_url": "",
    }  # fmt: skip
    if package_count is not None:
        out["package_count"] = package_count
        out["num_followers"] = 0
    return out


def package_dict(r: ResourceOut, dept: Any, base: str) -> dict[str, Any]:
    pid = str(r.id)
    fields = [f.model_dump() for f in r.fields]
    extras = {
        "identifier": r.code, "share_type": r.share_type, "share_type_zh": r.share_type_zh,
        "share_basis": r.share_basis, "open_type": r.open_type, "subject_category": r.subject_category,
        "update_frequency": r.update_frequency, "subject": r.subject, "key_field": r.key_field,
        "fields": json.dumps(fields, ensure_ascii=False),
    }  # fmt: skip
    is_open = r.open_type == "unconditional"
    return {
        "id": pid, "name": r.code.lower(), "title": r.name, "notes": r.description,
        "url": f"{base}/catalog/{r.code}", "state": "active", "type": "dataset", "private": False,
        "license_id": "other-open" if is_open else "other-closed",
        "license_title": OPEN_TYPE_ZH.get(r.open_type, r.open_type), "isopen": is_open,
        "author": r.provider.name, "author_email": None, "maintainer": r.provider.name, "maintainer_email": None,
        "version": None, "creator_user_id": None,
        "metadata_created": _iso(r.created_at), "metadata_modified": _iso(r.updated_at),
        "organization": org_dict(dept) if dept is not None else None,
        "owner_org": str(r.provider.id),
        "tags": [{"name": t, "display_name": t, "state": "active", "vocabulary_id": None} for t in r.tags],
        "num_tags": len(r.tags),
        "extras": [{"key": k, "value": v} for k, v in sorted(extras.items())],
        "yiwang_fields": fields,
        "resources": [{
            "id": f"{r.code.lower()}-records", "package_id": pid, "position": 0,
            "name": f"{r.name}数据共享接口",
            "description": "按授权调用的数据共享接口（条件查询、游标分页，返回 JSON）；需持有授权的接入系统访问令牌。",
            "format": "API", "mimetype": "application/json", "resource_type": "api", "url_type": None,
            "url": f"{base}/api/v1/exchange/resources/{r.code}/records", "state": "active",
            "created": _iso(r.created_at), "metadata_modified": _iso(r.updated_at), "last_modified": None,
            "size": None, "hash": "",
        }],
        "num_resources": 1, "groups": [], "relationships_as_object": [], "relationships_as_subject": [],
    }  # fmt: skip


# ---- actions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ctx:
    db: Session
    actor: Actor
    base: str

    def departments(self) -> dict[int, Any]:
        return {d.id: d for d in identity.departments(self.db)}

    def packages(self, query: ResourceQuery, offset: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
        total, items = actions.resource_query(self.db, self.actor, query, offset, limit)
        depts = self.departments() if items else {}
        return total, [package_dict(r, depts.get(r.provider.id), self.base) for r in items]


def package_list(ctx: Ctx, data: dict[str, Any]) -> list[str]:
    """Names of all datasets (one per published data resource), by name. Params: limit, offset."""
    limit = natural(data, "limit", None)
    offset = natural(data, "offset", 0) or 0
    _total, items = actions.resource_query(
        ctx.db, ctx.actor, ResourceQuery(), offset, 10**9 if limit is None else limit
    )
    return [r.code.lower() for r in items]


def _find(ctx: Ctx, key: str) -> dict[str, Any]:
    query = ResourceQuery(ids=(int(key),)) if _ID.fullmatch(key) else ResourceQuery(codes=(key,))
    _total, found = ctx.packages(query, 0, 1)
    if not found:
        raise not_found()
    return found[0]


def package_show(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    """One dataset. Params: id (the dataset's name or id)."""
    return _find(ctx, text(data, "id", required=True))


def _dept_lookup(ctx: Ctx) -> tuple[dict[str, int], dict[str, int]]:
    depts = ctx.departments().values()
    return {d.code.lower(): d.id for d in depts}, {str(d.id): d.id for d in depts}


def _values(raw: str) -> list[str]:
    raw = raw.strip()
    if raw.startswith("(") and raw.endswith(")"):
        return [v.strip().strip('"') for v in re.split(r"\s+OR\s+", raw[1:-1].strip()) if v.strip()]
    return [raw.strip('"')]


def _when(text: str) -> datetime | None:
    if text in ("*", "NOW"):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise query_error(f"无法识别的时间 {text}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _apply_fq(ctx: Ctx, query: ResourceQuery, fq: str) -> ResourceQuery:
    lookups: tuple[dict[str, int], dict[str, int]] | None = None
    for m in _FQ_TERM.finditer(fq):
        sign, key, raw, bare = m.groups()
        if bare is not None:
            if bare.upper() in ("AND", "*:*"):
                continue
            raise query_error(f"无法识别的筛选条件 {bare}")
        key, vals = key.lower(), _values(raw)
        if key in ("organization", "owner_org"):
            lookups = lookups or _dept_lookup(ctx)
            lookup = lookups[0] if key == "organization" else lookups[1]
            dept_ids = tuple(lookup[v.lower()] for v in vals if v.lower() in lookup)
            if sign == "-":
                query = replace(query, exclude_provider_ids=query.exclude_provider_ids + dept_ids)
            else:
                keep = (
                    set(dept_ids) if query.provider_ids is None else set(dept_ids) & set(query.provider_ids)
                )
                query = replace(query, provider_ids=tuple(sorted(keep)))
        elif key in ("name", "id", "tags") and sign != "-":
            if key == "name":
                query = replace(query, codes=tuple(vals))
            elif key == "id":
                query = replace(query, ids=tuple(int(v) for v in vals if _ID.fullmatch(v)))
            else:
                query = replace(query, tags=tuple(vals))
        elif key == "metadata_modified" and raw.startswith("[") and " TO " in raw:
            lo, _, hi = raw[1:-1].partition(" TO ")
            query = replace(query, modified_from=_when(lo.strip()), modified_to=_when(hi.strip()))
        elif key in CONSTANT_FIELDS:
            matches = CONSTANT_FIELDS[key] in {v.lower() for v in vals}
            if matches == (sign == "-"):
                query = replace(query, ids=())
        else:
            raise query_error(
                f"不支持的筛选字段 {key}（支持 organization、owner_org、name、id、tags、metadata_modified）"
            )
    return query


def _order(sort: str) -> tuple[str, str]:
    clauses = [c.strip() for c in sort.split(",") if c.strip() and not c.strip().startswith("score")]
    if not clauses:
        return "modified desc", "score desc, metadata_modified desc"
    fieldname, _, direction = clauses[0].partition(" ")
    direction = direction.strip().lower() or "asc"
    if fieldname not in SORTS or direction not in ("asc", "desc"):
        raise query_error(f"不支持的排序 {sort}")
    return SORTS[fieldname] + (" desc" if direction == "desc" else ""), sort


def package_search(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    """Search datasets. Params: q (words, all must match name, description, category, code or
    fields), fq / fq_list (organization:, owner_org:, name:, id:, tags:, metadata_modified:[a TO b]),
    sort, rows (default 10, at most 1000), start."""
    rows = min(natural(data, "rows", ROWS_DEFAULT) or 0, ROWS_MAX)
    start = natural(data, "start", 0) or 0
    q = text(data, "q")
    terms = tuple(t for t in q.split() if t not in ("*:*", "*")) if q else ()
    order, sort = _order(text(data, "sort") or "score desc, metadata_modified desc")
    query = ResourceQuery(terms=terms, order=order)
    fq_list = data.get("fq_list") or []
    for fq in [text(data, "fq"), *(fq_list if isinstance(fq_list, list) else [fq_list])]:
        if fq:
            query = _apply_fq(ctx, query, str(fq))
    total, results = ctx.packages(query, start, rows)
    facets, search_facets = ckan_more.facets(ctx, query, data)
    return {
        "count": total,
        "facets": facets,
        "results": results,
        "sort": sort,
        "search_facets": search_facets,
    }


def organization_list(ctx: Ctx, data: dict[str, Any]) -> list[Any]:
    """Organisations (departments). Params: all_fields, sort (name|title|package_count [asc|desc]),
    limit (at most 1000, or 25 with all_fields), offset, organizations (names to keep)."""
    all_fields = boolean(data, "all_fields", False)
    cap = ORG_LIST_ALL_FIELDS_MAX if all_fields else ORG_LIST_MAX
    limit = min(natural(data, "limit", cap) or 0, cap)
    offset = natural(data, "offset", 0) or 0
    counts = actions.provider_counts(ctx.db, ctx.actor)
    orgs = [org_dict(d, counts.get(d.id, 0)) for d in ctx.departments().values()]
    wanted = data.get("organizations")
    if wanted:
        keep = {w.strip().lower() for w in (wanted if isinstance(wanted, list) else str(wanted).split(","))}
        orgs = [o for o in orgs if o["name"] in keep]
    fieldname, _, direction = (text(data, "sort") or "name asc").partition(" ")
    fieldname = "package_count" if fieldname == "packages" else fieldname
    if fieldname not in ("name", "title", "package_count") or direction.strip().lower() not in (
        "",
        "asc",
        "desc",
    ):
        raise invalid("sort", "排序字段须为 name、title 或 package_count，方向为 asc 或 desc")
    orgs.sort(key=lambda o: (o[fieldname], o["name"]), reverse=direction.strip().lower() == "desc")
    page = orgs[offset : offset + limit]
    return page if all_fields else [o["name"] for o in page]


def organization_show(ctx: Ctx, data: dict[str, Any]) -> dict[str, Any]:
    """One organisation. Params: id (name or id), include_datasets (default false; up to 1000)."""
    key = text(data, "id", required=True).lower()
    dept = next((d for d in ctx.departments().values() if key in (d.code.lower(), str(d.id))), None)
    if dept is None:
        raise not_found()
    total, packages = ctx.packages(ResourceQuery(provider_ids=(dept.id,)), 0, ROWS_MAX)
    out = org_dict(dept, total) | {"users": [], "extras": [], "tags": [], "groups": []}
    if boolean(data, "include_datasets", False):
        out["packages"] = packages
    return out


def site_read(ctx: Ctx, data: dict[str, Any]) -> bool:
    """Always true: the catalog can be read."""
    return True


def help_show(ctx: Ctx, data: dict[str, Any]) -> str:
    """The documentation of an action. Params: name."""
    fn = ACTIONS.get(text(data, "name", required=True))
    if fn is None:
        raise not_found()
    return inspect.getdoc(fn) or ""


ACTIONS: dict[str, Callable[[Ctx, dict[str, Any]], Any]] = {
    f.__name__: f
    for f in (
        package_list,
        package_show,
        package_search,
        organization_list,
        organization_show,
        site_read,
        help_show,
        ckan_more.status_show,
        ckan_more.license_list,
        ckan_more.tag_list,
        ckan_more.group_list,
        ckan_more.resource_show,
    )
}


# ---- routes -----------------------------------------------------------------------------


ActionName = Annotated[str, Path(max_length=100, json_schema_extra={"enum": sorted(ACTIONS)},
                                 description="CKAN 操作名；未知的操作按 CKAN 的方式答 400")]  # fmt: skip
CKAN_ERROR = {
    "type": "object", "required": ["success", "error"],
    "properties": {"help": {"type": "string"}, "success": {"const": False},
                   "error": {"type": "object", "required": ["__type"], "properties": {"__type": {"type": "string"}}}},
}  # fmt: skip
CKAN_BAD_REQUEST = {"oneOf": [{"type": "string"}, CKAN_ERROR]}  # CKAN: a bare string for unreadable input
for _method in ("get", "post"):
    contract.own_errors(_method, "/api/3/action/{name}", {
        400: ("application/json", CKAN_BAD_REQUEST), 401: ("application/json", CKAN_ERROR),
        403: ("application/json", CKAN_ERROR), 404: ("application/json", CKAN_ERROR),
        409: ("application/json", CKAN_ERROR), 429: ("application/json", CKAN_ERROR),
    })  # fmt: skip


def _answer(status: int, body: Any) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type="application/json;charset=utf-8")


@router.get("/3/action/{name}", summary="CKAN Action API（只读，查询参数）", operation_id="ckan_action_get")
@router.post(
    "/3/action/{name}", summary="CKAN Action API（只读，JSON 请求体）", operation_id="ckan_action_post"
)
@router.api_route("/action/{name}", methods=["GET", "POST"], include_in_schema=False)
def action(
    name: ActionName, request: Request, db: DB, call: Annotated[Call, Depends(read_call)]
) -> JSONResponse:
    fn = ACTIONS.get(name)
    if fn is None:
        return _answer(400, f"请求无效 - 未知的操作: {name[:60]}")
    if call.bad_request:
        return _answer(400, call.bad_request)
    base = str(request.base_url).rstrip("/")
    envelope: dict[str, Any] = {"help": f"{base}/api/3/action/help_show?name={name}"}
    try:
        if call.refused is not None:
            raise call.refused
        assert call.actor is not None
        result = fn(Ctx(db, call.actor, base), call.data)
    except CkanError as exc:
        return _answer(exc.status, envelope | {"success": False, "error": exc.error})
    except DomainError as exc:
        kind = "Authorization Error" if exc.status in (401, 403, 429) else "Validation Error"
        status = exc.status if exc.status in (401, 403, 429) else 409
        return _answer(
            status, envelope | {"success": False, "error": {"__type": kind, "message": exc.detail}}
        )
    except Exception:
        log.exception("CKAN action %s failed", name)
        db.rollback()
        error = {"__type": "Internal Server Error", "message": "Internal Server Error"}
        return _answer(500, envelope | {"success": False, "error": error})
    return _answer(200, envelope | {"success": True, "result": result})


@router.get("/3", summary="CKAN API 版本")
def api_version() -> JSONResponse:
    return _answer(200, {"version": 3})
