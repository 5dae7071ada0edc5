"""Open311 GeoReport v2 routes under /open311/v2, each in .json and .xml, as the specification
and its clients expect (wiki.open311.org/GeoReport_v2). Errors take the specification's form
(`[{"code": 400, "description": …}]`, `<errors><error>…`) with the HTTP status, not problem+json,
because that is what Open311 clients parse; their descriptions are Chinese."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from yiwang.contexts.cityops import actions_open311 as o311
from yiwang.contexts.cityops.catalogue import ILLEGAL_PARKING
from yiwang.contexts.cityops.schemas import EventIn
from yiwang.core.actor import ANONYMOUS
from yiwang.core.errors import DomainError
from yiwang.core.web.deps import DB

router = APIRouter(
    prefix="/open311/v2", tags=["open311"], include_in_schema=False
)  # its own spec: /open311/v2/discovery
SPEC = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-04T00:00:00+08:00"
MAX_BODY = 64 * 1024
FIELD_NAMES = {"category_code": "service_code", "lon": "long", "lat": "lat", "description": "description",
               "address": "address_string", "plate": "attribute[plate]"}  # fmt: skip


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        self.status, self.description = status, description


def _xml(root: str, item: str | None, data: Any) -> bytes:
    def fill(el: ET.Element, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                fill(ET.SubElement(el, k), v)
        elif isinstance(value, list):
            child = {
                "endpoints": "endpoint",
                "formats": "format",
                "attributes": "attribute",
                "values": "value",
            }
            for v in value:
                fill(ET.SubElement(el, child.get(el.tag, "item")), v)
        elif isinstance(value, bool):
            el.text = "true" if value else "false"
        elif value is not None:
            el.text = str(value)

    top = ET.Element(root)
    if item is None:
        fill(top, data)
    else:
        for row in data:
            fill(ET.SubElement(top, item), row)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(
        top, encoding="utf-8", xml_declaration=False
    )


def _answer(fmt: str, data: Any, root: str, item: str | None, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(_xml(root, item, data), status, media_type="text/xml; charset=utf-8")
    return Response(
        json.dumps(data, ensure_ascii=False).encode(), status, media_type="application/json; charset=utf-8"
    )


def _error(fmt: str, status: int, description: str) -> Response:
    return _answer(fmt if fmt == "xml" else "json", [{"code": status, "description": description}], "errors", "error",
                   status)  # fmt: skip


def _format(fmt: str) -> str:
    if fmt not in ("json", "xml"):
        raise Open311Error(400, "格式只能是 json 或 xml")
    return fmt


def _run(fmt: str, fn: Any) -> Response:
    try:
        return fn(_format(fmt))
    except Open311Error as exc:
        return _error(fmt, exc.status, exc.description)
    except DomainError as exc:
        if exc.errors:
            e = exc.errors[0]
            return _error(fmt, 400, f"{FIELD_NAMES.get(e.field, e.field)}：{e.detail}")
        return _error(fmt, exc.status if exc.status in (400, 403, 404) else 400, exc.detail)


@router.get("/discovery.{fmt}", summary="Open311 服务发现")
def discovery(fmt: str, request: Request) -> Response:
    base = str(request.base_url).rstrip("/") + "/open311/v2/"
    data = {"changeset": CHANGESET, "contact": "一网统管城市运行中心 12345", "key_service": "向系统管理员申请 api_key",
            "endpoints": [{"specification": SPEC, "url": base, "changeset": CHANGESET, "type": "production",
                           "formats": ["text/xml", "application/json"]}]}  # fmt: skip
    return _run(fmt, lambda f: _answer(f, data, "discovery", None))


@router.get("/services.{fmt}", summary="Open311 服务列表（部件事件分类）")
def services(fmt: str, db: DB) -> Response:
    return _run(fmt, lambda f: _answer(f, o311.services(db, ANONYMOUS), "services", "service"))


@router.get("/services/{code}.{fmt}", summary="Open311 服务定义")
def service_definition(code: str, fmt: str, db: DB) -> Response:
    def go(f: str) -> Response:
        d = o311.service_definition(db, ANONYMOUS, code[:8])
        if d is None:
            raise Open311Error(404, "service_code 不存在")
        return _answer(f, d, "service_definition", None)

    return _run(fmt, go)


def _dt(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} 不是 W3C 日期时间格式") from None
    if t.tzinfo is None:
        raise Open311Error(400, f"{name} 须带时区")
    return t


def _list(value: str | None, pattern: str, name: str) -> list[str]:
    items = [v.strip() for v in (value or "").split(",") if v.strip()]
    if len(items) > 1000 or any(not re.fullmatch(pattern, v) for v in items):
        raise Open311Error(400, f"{name} 格式不正确")
    return items


@router.get("/requests.{fmt}", summary="Open311 查询服务请求")
def requests(fmt: str, request: Request, db: DB) -> Response:
    q = request.query_params

    def go(f: str) -> Response:
        status = q.get("status")
        if status not in (None, "", "open", "closed"):
            raise Open311Error(400, "status 只能是 open 或 closed")
        ids = [int(i) for i in _list(q.get("service_request_id"), r"\d{1,18}", "service_request_id")]
        rows = o311.requests(db, ANONYMOUS, ids=ids, codes=_list(q.get("service_code"), r"\d{5}", "service_code"),
                             start=_dt(q.get("start_date"), "start_date"), end=_dt(q.get("end_date"), "end_date"),
                             status=status or None)  # fmt: skip
        return _answer(f, rows, "service_requests", "request")

    return _run(fmt, go)


@router.get("/requests/{rid}.{fmt}", summary="Open311 查看一个服务请求")
def request_one(rid: str, fmt: str, db: DB) -> Response:
    def go(f: str) -> Response:
        if not re.fullmatch(r"\d{1,18}", rid):
            raise Open311Error(404, "service_request_id 不存在")
        rows = o311.requests(db, ANONYMOUS, ids=[int(rid)], codes=[], start=None, end=None, status=None)
        if not rows:
            raise Open311Error(404, "service_request_id 不存在")
        return _answer(f, rows, "service_requests", "request")

    return _run(fmt, go)


@router.get("/tokens/{token}.{fmt}", summary="Open311 由 token 查服务请求编号")
def token(token: str, fmt: str, db: DB) -> Response:
    def go(f: str) -> Response:
        rows = o311.token_lookup(db, ANONYMOUS, token[:64])
        if not rows:
            raise Open311Error(404, "token 不存在")
        return _answer(f, rows, "service_requests", "request")

    return _run(fmt, go)


async def _fields(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise Open311Error(400, "请求内容过大")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/json":
        try:
            raw = json.loads(body or b"{}")
        except ValueError:
            raise Open311Error(400, "JSON 格式错误") from None
        if not isinstance(raw, dict):
            raise Open311Error(400, "JSON 须为对象")
        return {str(k): str(v) for k, v in raw.items() if v is not None and not isinstance(v, dict | list)}
    if kind in ("text/xml", "application/xml"):
        if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
            raise Open311Error(400, "XML 不得包含 DTD 或实体")
        try:
            root = ET.fromstring(body)  # noqa: S314  (no DTD, no entities: refused above)
        except ET.ParseError:
            raise Open311Error(400, "XML 格式错误") from None
        return {child.tag: (child.text or "").strip() for child in root}
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


@router.post("/requests.{fmt}", summary="Open311 提交服务请求（需 api_key）")
async def request_post(fmt: str, request: Request, db: DB) -> Response:
    try:
        f = _format(fmt)
        fields = await _fields(request)
        actor = o311.key_actor(db, fields.get("api_key") or request.query_params.get("api_key"))
        if not fields.get("lat") or not fields.get("long"):
            raise Open311Error(400, "lat 与 long 必填（本系统不受理仅有地址的请求）")
        try:
            data = EventIn(category_code=fields.get("service_code", ""), lat=fields["lat"], lon=fields["long"],
                           address=fields.get("address_string", "")[:200], description=fields.get("description", ""),
                           source="open311", plate=fields.get("attribute[plate]") or fields.get("plate") or None
                           if fields.get("service_code") == ILLEGAL_PARKING else None)  # fmt: skip
        except ValidationError as exc:
            err = exc.errors()[0]
            name = FIELD_NAMES.get(str(err["loc"][0]), str(err["loc"][0])) if err["loc"] else "request"
            raise Open311Error(400, f"{name} 不正确") from None
        e = o311.request_post(db, actor, data)
        out = [{"service_request_id": str(e.id), "token": e.token, "service_notice": "已受理，将由城管指挥中心立案派遣",
                "account_id": None}]  # fmt: skip
        return _answer(f, out, "service_requests", "request")
    except Open311Error as exc:
        db.rollback()  # answered, not raised: nothing of a refused request may commit
        return _error(fmt, exc.status, exc.description)
    except DomainError as exc:
        db.rollback()
        if exc.errors:
            e0 = exc.errors[0]
            return _error(fmt, 400, f"{FIELD_NAMES.get(e0.field, e0.field)}：{e0.detail}")
        return _error(fmt, exc.status if exc.status in (400, 403, 404) else 400, exc.detail)
