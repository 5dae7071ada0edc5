"""Request bodies over a size limit are refused with 413 before anything reads them.

The limit is `settings.max_body_bytes`; a route that takes uploads raises it for its own path
with `allow_larger(path_regex, nbytes)`. A declared Content-Length over the limit is refused at
once; a chunked body is counted as it arrives and refused when it passes the limit."""

from __future__ import annotations

import re

import orjson
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yiwang.core.actor import request_id_var
from yiwang.core.errors import PROBLEM_BASE, PROBLEM_JSON

_LARGER: list[tuple[re.Pattern[str], int]] = []


def allow_larger(path_regex: str, nbytes: int) -> None:
    """Let requests to paths matching `path_regex` (full match) carry up to `nbytes`."""
    _LARGER.append((re.compile(path_regex), nbytes))


def limit_for(path: str, default: int) -> int:
    for pattern, nbytes in _LARGER:
        if pattern.fullmatch(path):
            return nbytes
    return default


class _TooLarge(StarletteHTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"请求内容超过 {limit} 字节的上限")
        self.limit = limit


def problem_413(limit: int, path: str) -> bytes:
    return orjson.dumps({
        "type": PROBLEM_BASE + "payload-too-large", "title": "请求内容过大", "status": 413,
        "detail": f"请求内容超过 {limit} 字节的上限", "instance": path, "request_id": request_id_var.get(),
    })  # fmt: skip


class BodyLimit:
    def __init__(self, app: ASGIApp, default_limit: int) -> None:
        self.app, self.default_limit = app, default_limit

    async def _refuse(self, send: Send, limit: int, path: str) -> None:
        body = problem_413(limit, path)
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"], self.default_limit)
        declared = chunked = None
        for name, value in scope.get("headers") or ():
            if name == b"content-length":
                declared = value
            elif name == b"transfer-encoding":
                chunked = value
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                too_large = False  # the server refuses a malformed length itself
            if too_large:
                await self._refuse(send, limit, scope["path"])
                return
        if chunked is None:  # a declared length (the server holds the body to it) or no body at all
            await self.app(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if started:
                raise
            await self._refuse(send, limit, scope["path"])
