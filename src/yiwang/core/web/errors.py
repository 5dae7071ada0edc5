"""Exception handlers: problem+json for programs, a zh-CN page for people."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from yiwang.core.actor import request_id_var
from yiwang.core.codes import redact_identity_numbers
from yiwang.core.errors import (
    PROBLEM_JSON,
    DomainError,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
    from_pydantic,
)
from yiwang.core.web.templating import templates

log = logging.getLogger(__name__)

_HTTP_TITLES = {404: "页面不存在", 405: "不支持的请求方法", 413: "请求内容过大", 415: "不支持的内容类型"}


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/healthz", "/readyz", "/oauth")):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def problem_response(request: Request, err: DomainError) -> Response:
    body = err.problem(instance=redact_identity_numbers(request.url.path), request_id=request_id_var.get())
    headers = {}
    if isinstance(err, TooManyRequests | Unavailable) and err.retry_after is not None:
        headers["Retry-After"] = str(err.retry_after)
    if isinstance(err, Unauthenticated):
        headers["WWW-Authenticate"] = 'Bearer realm="yiwang"'
    return JSONResponse(body, status_code=err.status, media_type=PROBLEM_JSON, headers=headers)


def page_response(request: Request, err: DomainError) -> Response:
    if isinstance(err, Unauthenticated):
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": err.status, "title": err.title, "detail": err.detail, "request_id": request_id_var.get()},
        status_code=err.status,
    )


def respond(request: Request, err: DomainError) -> Response:
    return problem_response(request, err) if wants_json(request) else page_response(request, err)


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
        err = DomainError(str(exc.detail))
        err.status = exc.status_code
        err.title = _HTTP_TITLES.get(exc.status_code, "请求无效")
        return respond(request, err)

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> Response:
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
        err = DomainError("服务器内部错误，请稍后再试；如持续出现请联系管理员并提供请求编号")
        err.status = 500
        err.title = "服务器内部错误"
        return respond(request, err)
