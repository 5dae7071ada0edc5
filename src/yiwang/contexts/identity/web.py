"""Authentication for requests: session cookie (people) or bearer token (systems), and CSRF.

Other contexts depend on `Caller` (any actor, anonymous allowed) or `LoggedIn` via
the identity package's public surface; the authorisation itself stays in `authz.check`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from yiwang.contexts.identity import authn
from yiwang.core import crypto, security
from yiwang.core.actor import ANONYMOUS, Actor
from yiwang.core.codes import header_text
from yiwang.core.errors import CsrfRejected, TooManyRequests, Unauthenticated
from yiwang.core.security import limiter
from yiwang.core.web.deps import DB

SESSION_COOKIE = "yw_session"
PRELOGIN_CSRF_COOKIE = "yw_csrf"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _form_token(request: Request) -> str:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else ""
    return ""


@dataclass(frozen=True)
class _Resolved:
    actor: Actor
    csrf: str | None  # the session's CSRF token; None for bearer calls and anonymous callers


def _resolve(request: Request, db: Session) -> _Resolved:
    """The database part of authentication, run in the thread pool: blocking on the connection
    pool inside the event loop would stall every request."""
    token = _bearer(request)
    if token is not None:
        found = authn.from_bearer(db, token, _on_behalf(request))
        if found is None:
            raise Unauthenticated("访问令牌无效或已过期")
        return _client(*found)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        resolved = authn.from_session_token(db, cookie)
        if resolved is not None:
            return _Resolved(resolved[0], resolved[1])
    return _Resolved(ANONYMOUS, None)


def _on_behalf(request: Request) -> str | None:
    on_behalf = request.headers.get("x-user")
    return header_text(on_behalf)[0][:100] if on_behalf else None


def _client(actor: Actor, per_minute: int) -> _Resolved:
    wait = limiter.hit(f"client:{actor.client_id}", per_minute)
    if wait:
        err = TooManyRequests(f"接入系统每分钟最多 {per_minute} 次请求")
        err.retry_after = math.ceil(wait)
        raise err
    return _Resolved(actor, None)


async def _resolved(request: Request, db: DB) -> _Resolved:
    """A bearer token this process knows resolves on the event loop, without the database
    (most API calls); anything else is looked up in the thread pool (`_resolve`)."""
    token = _bearer(request)
    if token is not None:
        hit = authn.cached_bearer(token, _on_behalf(request))
        if hit is not None:
            return _client(*hit)
    return await run_in_threadpool(_resolve, request, db)


async def current_actor(request: Request, resolved: Annotated[_Resolved, Depends(_resolved)]) -> Actor:
    """The caller, or ANONYMOUS. Refuses a bad bearer token, an over-rate client, a CSRF-less post."""
    actor = resolved.actor
    if actor.kind == "client":
        request.state.csrf = ""
        return actor
    if resolved.csrf is not None:
        request.state.csrf = resolved.csrf
        if request.method in UNSAFE and not security.same(await _form_token(request), resolved.csrf):
            raise CsrfRejected("表单校验码不符，请刷新页面后重试")
        return actor
    request.state.csrf = request.cookies.get(PRELOGIN_CSRF_COOKIE) or crypto.new_token(24)
    is_form = request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    )
    if request.method in UNSAFE and is_form and request.url.path != "/api/v1/oauth/token":
        sent = await _form_token(request)
        if not request.cookies.get(PRELOGIN_CSRF_COOKIE) or not security.same(sent, request.state.csrf):
            raise CsrfRejected("表单校验码不符，请刷新页面后重试")
    return ANONYMOUS


async def authenticate(request: Request, db: Session) -> Actor:
    """`current_actor` for code that wants the refusal as an exception it handles itself."""
    return await current_actor(request, await _resolved(request, db))


def logged_in(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
    if actor.kind == "anonymous":
        raise Unauthenticated("请先登录")
    return actor


Caller = Annotated[Actor, Depends(current_actor)]
LoggedIn = Annotated[Actor, Depends(logged_in)]
