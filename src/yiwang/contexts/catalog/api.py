"""JSON routes of the catalog under /api/v1/catalog, and the DCAT-AP export."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response

from yiwang.contexts.catalog import actions, dcat, dcat_rdf
from yiwang.contexts.catalog.schemas import ResourceIn, ResourceOut
from yiwang.contexts.identity import Caller
from yiwang.contexts.identity.schemas import Page
from yiwang.core.errors import PROBLEM_JSON, NotAcceptable
from yiwang.core.web import contract
from yiwang.core.web.deps import DB

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])


@router.get("/resources", response_model=Page[ResourceOut], summary="检索信息资源目录")
def search(
    db: DB,
    actor: Caller,
    q: Annotated[str | None, Query(max_length=100)] = None,
    provider: Annotated[str | None, Query(max_length=40)] = None,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[ResourceOut]:
    total, items = actions.resource_search(db, actor, q, offset, limit, provider)
    nxt = str(offset + limit) if offset + limit < total else None
    return Page(items=items, next_cursor=nxt)


@router.get("/resources/{code}", response_model=ResourceOut, summary="信息资源详情")
def read(code: str, db: DB, actor: Caller) -> ResourceOut:
    return actions.resource_read(db, actor, code)


@router.post("/resources", response_model=ResourceOut, status_code=201, summary="登记信息资源")
def register(body: ResourceIn, db: DB, actor: Caller) -> ResourceOut:
    return actions.resource_register(db, actor, body)


RDF_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"description": "DCAT-AP 目录", "content": {m: {"schema": {"type": "string"}} for m in dcat_rdf.FORMATS}},
    406: {"description": "不支持请求的格式（可选 JSON-LD、Turtle、RDF/XML）",
          "content": {PROBLEM_JSON: {"schema": contract.PROBLEM_REF}}},
}  # fmt: skip


@router.get(
    "/dcat", summary="DCAT-AP 目录导出（按 Accept 协商：JSON-LD、Turtle、RDF/XML）", responses=RDF_ANSWER
)
def dcat_negotiated(
    request: Request,
    db: DB,
    actor: Caller,
    accept: Annotated[str | None, Header(max_length=500)] = None,
) -> Response:
    media_type = dcat_rdf.negotiate(accept)
    if media_type is None:
        raise NotAcceptable("可提供的格式：application/ld+json、text/turtle、application/rdf+xml")
    _total, items = actions.resource_search(db, actor, None, 0, 10_000)
    doc = dcat.catalog_jsonld(items, str(request.base_url).rstrip("/"))
    body = dcat_rdf.serialise(doc, media_type)
    return Response(body, media_type=f"{media_type}; charset=utf-8", headers={"Vary": "Accept"})


@router.get("/dcat.jsonld", summary="DCAT-AP 目录导出（JSON-LD）")
def dcat_export(request: Request, db: DB, actor: Caller) -> JSONResponse:
    _total, items = actions.resource_search(db, actor, None, 0, 10_000)
    body: dict[str, Any] = dcat.catalog_jsonld(items, str(request.base_url).rstrip("/"))
    return JSONResponse(body, media_type="application/ld+json")
