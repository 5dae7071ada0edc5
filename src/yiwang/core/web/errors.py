"""Exception handlers: problem+json for programs, a zh-CN page for people."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, DBAPIError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from yiwang.core.actor import request_id_var
from yiwang.core.codes import redact_identity_numbers
from yiwang.core.errors import (
    PROBLEM_JSON,
    DomainError,
    FieldError,
    Forbidden,
    NotFound,
    ServerError,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
    from_pydantic,
)
from yiwang.core.web.templating import templates

log = logging.getLogger(__name__)

_HTTP_TITLES = {404: "页面不存在", 405: "不支持的请求方法", 413: "请求内容过大", 415: "不支持的内容类型"}
_HTTP_SLUGS = {405: "method-not-allowed", 413: "payload-too-large", 415: "unsupported-media-type"}
INT64_MAX = 2**63 - 1


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/healthz", "/readyz", "/oauth")):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def problem_response(request: Request, err: DomainError, headers: dict[str, str] | None = None) -> Response:
    body = err.problem(instance=redact_identity_numbers(request.url.path), request_id=request_id_var.get())
    headers = dict(headers or {})
    if isinstance(err, TooManyRequests | Unavailable) and err.retry_after is not None:
        headers["Retry-After"] = str(err.retry_after)
    if isinstance(err, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="yiwang"'
    return JSONResponse(body, status_code=err.status, media_type=PROBLEM_JSON, headers=headers)


def page_response(request: Request, err: DomainError, headers: dict[str, str] | None = None) -> Response:
    if isinstance(err, Unauthenticated):
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": err.status, "title": err.title, "detail": err.detail, "request_id": request_id_var.get()},
        status_code=err.status,
        headers=headers,
    )


def respond(request: Request, err: DomainError, headers: dict[str, str] | None = None) -> Response:
    if wants_json(request):
        return problem_response(request, err, headers)
    return page_response(request, err, headers)


def _route_methods(routes: Any) -> Iterator[tuple[Any, set[str]]]:
    for route in routes:
        nested = getattr(route, "effective_route_contexts", None)  # FastAPI's included routers
        if nested is not None:
            yield from ((c, set(getattr(c, "methods", None) or ())) for c in nested())
        elif hasattr(route, "path_regex"):
            yield route, set(getattr(route, "methods", None) or ())


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    path = request.scope.get("path", "")
    methods: set[str] = set()
    for route, route_methods in _route_methods(request.app.router.routes):
        if route.path_regex.match(path):
            methods |= route_methods
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def _out_of_range(request: Request, bound: int = INT64_MAX) -> DomainError:
    """A number too large for the database: a path id that cannot exist is 404, anything else 422.
    `bound` is the column's: 64 bits, or 32 for PostgreSQL's `integer` columns."""
    for value in request.path_params.values():
        if isinstance(value, int) and not -bound - 1 <= value <= bound:
            return NotFound("未找到该对象")
        if isinstance(value, str) and value.isascii() and value.isdigit() and int(value) > bound:
            return NotFound("未找到该对象")
    return ValidationFailed(
        "提交的数据有误，请按提示修改", [FieldError("body", "数值超出允许范围", "out_of_range")]
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        return respond(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return respond(
            request, from_pydantic(list(exc.errors()), drop_prefix=("body", "query", "path", "header"))
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return respond(request, NotFound("您访问的页面或资源不存在"))
        if exc.status_code == 403:
            return respond(request, Forbidden(str(exc.detail)))
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        detail = (
            _HTTP_TITLES.get(exc.status_code, "请求无效") if exc.detail in (None, "") else str(exc.detail)
        )
        if exc.status_code == 405:
            detail = f"此地址不支持 {request.method[:10]} 方法，可用：{headers['Allow']}"
        err = DomainError(detail)
        err.status = exc.status_code
        err.title = _HTTP_TITLES.get(exc.status_code, "请求无效")
        err.slug = _HTTP_SLUGS.get(
            exc.status_code, "bad-request" if exc.status_code < 500 else "server-error"
        )
        return respond(request, err, headers)

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> Response:
        return respond(request, _out_of_range(request))

    @app.exception_handler(StatementError)
    async def _statement(request: Request, exc: StatementError) -> Response:
        if isinstance(exc.orig, OverflowError):  # SQLite cannot bind an int beyond 64 bits
            return respond(request, _out_of_range(request))
        if isinstance(exc, DBAPIError):
            return await _database(request, exc)
        return await _crash(request, exc)

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> Response:
        if isinstance(exc, DataError):  # PostgreSQL: "value out of range for type bigint" and kin
            bound = 2**31 - 1 if "type integer" in str(exc.orig) else INT64_MAX
            return respond(request, _out_of_range(request, bound))
        if not exc.connection_invalidated:
            return await _crash(request, exc)
        # The server dropped a pooled connection (a restart, a terminated backend): the pool is
        # renewed and the transaction is gone; a read may simply be retried.
        log.warning("database connection lost: %s", type(exc.orig).__name__)
        err = Unavailable("数据库连接已中断并已重建，请重试")
        err.retry_after = 1
        return respond(request, err)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error")
        return respond(
            request, ServerError("服务器内部错误，请稍后再试；如持续出现请联系管理员并提供请求编号")
        )
