"""The headers every use of shared data carries (X-Road style), read straight from the request:
one spec drives both the checks and the OpenAPI documentation of each route that uses them
(declaring five `Header` parameters costs FastAPI a validation round per header per call)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from yiwang.contexts import identity
from yiwang.contexts.exchange.governance import UseContext
from yiwang.core.actor import Actor
from yiwang.core.codes import header_text
from yiwang.core.errors import FieldError, ValidationFailed
from yiwang.core.web.deps import UnitOfWork

# name, required, min length, max length, description
_SPEC = (
    ("X-User", True, 1, 300, "代表的最终用户（UTF-8 百分号编码）"),
    ("X-Case-Id", True, 1, 64, "服务的办件编号"),
    ("X-Request-Nonce", True, 8, 64, "每次调用唯一，防重放"),
    ("X-Purpose", False, 0, 600, "本次调用的目的（UTF-8 百分号编码；缺省为授权的目的）"),
    ("X-Client", False, 0, 64, "接入系统编号（须与访问令牌所属系统一致）"),
)
OPENAPI: dict[str, Any] = {
    "parameters": [
        {"name": name, "in": "header", "required": required, "description": doc,
         "schema": {"type": "string", "minLength": lo, "maxLength": hi}}
        for name, required, lo, hi, doc in _SPEC
    ]
}  # fmt: skip


def _read(request: Request) -> dict[str, str | None]:
    raw: dict[str, bytes] = {}
    for k, v in request.scope["headers"]:  # one pass, not one per header; the first of duplicates, as
        raw.setdefault(k.decode("latin-1"), v)  # Starlette's headers.get (X-User is also read there)
    values: dict[str, str | None] = {}
    errors: list[FieldError] = []
    for name, required, lo, hi, _doc in _SPEC:
        got = raw.get(name.lower())
        value = got.decode("latin-1") if got is not None else None
        if value is None and required:
            errors.append(FieldError(name, f"缺少请求头 {name}", "missing"))
        elif value is not None and not lo <= len(value) <= hi:
            errors.append(FieldError(name, f"请求头 {name} 的长度应为 {lo}–{hi} 个字符", "length"))
        values[name] = value
    for name in ("X-User", "X-Purpose"):  # percent-encoded text: no control characters once decoded
        value = values[name]
        if value is not None and not header_text(value)[1]:
            errors.append(FieldError(name, f"请求头 {name} 含有控制字符", "invalid"))
    if errors:
        raise ValidationFailed("调用共享数据须说明最终用户、办件编号和请求编号", errors)
    return values


@dataclass(frozen=True)
class UseCall:
    db: Session  # the request's unit of work (`core.web.deps`)
    actor: Actor
    ctx: UseContext


async def use_call(request: Request) -> AsyncIterator[UseCall]:
    """The request's unit of work, the caller and what the call says about itself, in one
    dependency (each dependency costs FastAPI a resolution round on every call)."""
    async with UnitOfWork(read=True) as db:  # a use only reads; its usage and audit rows are group-committed
        actor = await identity.authenticate(request, db)
        body = await request.body() if request.method != "GET" else b""
        yield UseCall(db, actor, use_context(request, actor, body))


def use_context(request: Request, actor: Actor, body: bytes) -> UseContext:
    h = _read(request)
    if h["X-Client"] and actor.client_id and h["X-Client"] != actor.client_id:
        raise ValidationFailed(
            "X-Client 与访问令牌所属接入系统不一致", [FieldError("X-Client", "与访问令牌不一致")]
        )
    nonce = h["X-Request-Nonce"] or ""
    digest = hashlib.sha256()
    scope = request.scope
    for part in (scope["method"].encode(), scope["path"].encode(), scope["query_string"], nonce.encode()):
        digest.update(part + b"\x00")
    digest.update(body)
    purpose = h["X-Purpose"]
    return UseContext(
        end_user=header_text(h["X-User"] or "")[0][:100], case_id=h["X-Case-Id"] or "",
        purpose=header_text(purpose)[0] if purpose else None, nonce=nonce, request_hash=digest.hexdigest(),
        started=time.perf_counter(),
    )  # fmt: skip


# scope="function", as `core.web.deps.DB`: the commit runs before the answer is sent
Use = Annotated[UseCall, Depends(use_call, scope="function")]
