"""HTTP of the OpenID Connect provider: discovery, JWKS, authorize (consent page), token, userinfo,
RP-initiated logout. The routes read the request; Authlib (`server.py`) speaks the protocol."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode, urlsplit

from authlib.oauth2.rfc6749.errors import InsecureTransportError, OAuth2Error
from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from yiwang.contexts.identity import repository as identity_repo
from yiwang.contexts.identity.oidc import actions, keys
from yiwang.contexts.identity.oidc.server import SCOPES, Provider, StarletteRequest
from yiwang.contexts.identity.pages import render
from yiwang.contexts.identity.web import SESSION_COOKIE, Caller
from yiwang.core import crypto
from yiwang.core.actor import ANONYMOUS
from yiwang.core.db import utcnow
from yiwang.core.web.deps import DB
from yiwang.core.web.middleware import SECURITY_HEADERS
from yiwang.settings import get_settings

router = APIRouter(tags=["单点登录"], include_in_schema=False)  # OIDC Discovery describes it
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
CSP = dict(SECURITY_HEADERS)[b"content-security-policy"].decode()
Short = Annotated[str | None, Form(max_length=200)]
Long = Annotated[str | None, Form(max_length=2000)]

ERRORS = {
    "invalid_client": "接入系统不存在或已停用",
    "invalid_request": "授权请求缺少参数或参数有误（例如回调地址未登记、缺少 PKCE 校验码）",
    "unsupported_response_type": "仅支持授权码方式（response_type=code）",
    "invalid_scope": "申请的授权范围未登记",
    "unauthorized_client": "该系统无权使用此授权方式",
    "insecure_transport": "单点登录必须使用 HTTPS",
}


def issuer(request: Request) -> str:
    return get_settings().oidc_issuer.rstrip("/") or str(request.base_url).rstrip("/")


def _oauth_request(request: Request, form: dict[str, str | None] | None = None) -> StarletteRequest:
    fields = [(k, v) for k, v in (form or {}).items() if v is not None]
    return StarletteRequest(request.method, str(request.url), request.headers,
                            list(request.query_params.multi_items()), fields)  # fmt: skip


def _error_page(request: Request, actor: object, error: OAuth2Error) -> Response:
    detail = ERRORS.get(error.error, "授权请求有误")
    return render(request, "oidc_error.html", actor, 400, title="无法完成单点登录", detail=detail)


@router.get("/.well-known/openid-configuration", summary="OpenID Connect 发现文档")
def discovery(request: Request) -> JSONResponse:
    base = issuer(request)
    return JSONResponse({
        "issuer": base,
        "authorization_endpoint": f"{base}/oidc/authorize",
        "token_endpoint": f"{base}/oidc/token",
        "userinfo_endpoint": f"{base}/oidc/userinfo",
        "jwks_uri": f"{base}/oidc/jwks",
        "end_session_endpoint": f"{base}/oidc/logout",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(keys.ALGORITHMS),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "name",
                             "preferred_username", "locale", "zoneinfo", "department", "region", "roles",
                             "role_names", "email", "email_verified", "phone_number", "phone_number_verified"],
        "ui_locales_supported": ["zh-CN"],
    })  # fmt: skip


@router.get("/oidc/jwks", summary="签名公钥（JWKS）")
def jwks(db: DB) -> JSONResponse:
    return JSONResponse(keys.jwks(db), headers={"Cache-Control": "public, max-age=300"})


@router.get("/oidc/authorize", include_in_schema=False)
def authorize_page(request: Request, db: DB, actor: Caller) -> Response:
    if actor.kind != "user":
        here = request.url.path + ("?" + request.url.query if request.url.query else "")
        return RedirectResponse("/login?next=" + quote(here, safe=""), status_code=303)
    try:
        oauth_request = _oauth_request(request)
        consent = actions.consent_prepare(db, actor, oauth_request, issuer(request))
    except InsecureTransportError as exc:
        return _error_page(request, actor, exc)
    except OAuth2Error as exc:
        if exc.redirect_uri:  # a registered redirect: the client hears of its error there
            return Provider(db, issuer(request)).handle_error_response(oauth_request, exc)
        return _error_page(request, actor, exc)
    response = render(request, "oidc_consent.html", actor, consent=consent, query=request.url.query)
    # The decision's answer redirects to the system: the page's `form-action` must allow its origin.
    target = urlsplit(consent.grant.redirect_uri or "")
    origin = (
        f" {target.scheme}://{target.netloc}" if target.scheme in ("http", "https") and target.netloc else ""
    )
    response.headers["content-security-policy"] = CSP.replace(
        "form-action 'self'", f"form-action 'self'{origin}"
    )
    return response


@router.post("/oidc/authorize", include_in_schema=False)
def authorize_decision(
    request: Request, db: DB, actor: Caller, decision: Annotated[str, Form(max_length=10)]
) -> Response:
    if actor.kind != "user":
        return RedirectResponse("/login", status_code=303)
    token = request.cookies.get(SESSION_COOKIE, "")
    found = identity_repo.session_with_user(db, crypto.token_hash(token), utcnow())
    auth_time = found[0].created_at if found else None
    try:
        oauth_request = _oauth_request(request)
    except InsecureTransportError as exc:
        return _error_page(request, actor, exc)
    response = actions.authorize(db, actor, oauth_request, issuer(request), decision == "allow", auth_time)
    if response.status_code >= 400 and "location" not in response.headers:
        return render(request, "oidc_error.html", actor, 400, title="无法完成单点登录",
                      detail=ERRORS["invalid_request"])  # fmt: skip
    response.status_code = 303 if response.status_code == 302 else response.status_code
    return response


@router.post("/oidc/token", summary="换取令牌（授权码或刷新令牌）")
def token(
    request: Request, db: DB, grant_type: Short = None, code: Short = None, redirect_uri: Long = None,
    code_verifier: Short = None, client_id: Short = None, client_secret: Short = None,
    refresh_token: Short = None, scope: Short = None,
) -> Response:  # fmt: skip
    form = {"grant_type": grant_type, "code": code, "redirect_uri": redirect_uri, "code_verifier": code_verifier,
            "client_id": client_id, "client_secret": client_secret, "refresh_token": refresh_token, "scope": scope}  # fmt: skip
    try:
        oauth_request = _oauth_request(request, form)
    except InsecureTransportError:
        return JSONResponse(
            {"error": "invalid_request", "error_description": ERRORS["insecure_transport"]}, 400
        )
    response = actions.token_exchange(db, ANONYMOUS, oauth_request, issuer(request))
    response.headers.update(NO_STORE)
    return response


def _userinfo(request: Request, db: DB) -> Response:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    claims = actions.userinfo_read(db, ANONYMOUS, value.strip()[:200]) if scheme.lower() == "bearer" else None
    if claims is None:
        return JSONResponse({"error": "invalid_token", "error_description": "访问令牌无效、已过期或已撤销"}, 401,
                            headers={"WWW-Authenticate": 'Bearer error="invalid_token"', **NO_STORE})  # fmt: skip
    return JSONResponse(claims, headers=NO_STORE)


@router.get("/oidc/userinfo", summary="用户信息（含部门、区划、角色）")
def userinfo(request: Request, db: DB) -> Response:
    return _userinfo(request, db)


@router.post("/oidc/userinfo", include_in_schema=False)
def userinfo_post(request: Request, db: DB) -> Response:
    return _userinfo(request, db)


def _logout_params(request: Request) -> dict[str, str | None]:
    q = request.query_params
    return {k: (q.get(k) or None) and q[k][:2000] for k in ("id_token_hint", "post_logout_redirect_uri", "state",
                                                             "client_id")}  # fmt: skip


@router.get("/oidc/logout", include_in_schema=False)
def logout_page(request: Request, db: DB, actor: Caller) -> Response:
    p = _logout_params(request)
    check = actions.logout_check(db, actor, issuer(request), p["id_token_hint"], p["post_logout_redirect_uri"],
                                 p["client_id"])  # fmt: skip
    if check.error:
        return render(request, "oidc_error.html", actor, 400, title="无法退出登录", detail=check.error)
    hinted_me = check.user_id is not None and (actor.kind != "user" or actor.id == check.user_id)
    if hinted_me:  # the client proved whose session this is: no need to ask
        return _logged_out(request, db, actor, check, p["state"])
    return render(request, "oidc_logout.html", actor, check=check, query=request.url.query)


@router.post("/oidc/logout", include_in_schema=False)
def logout_confirm(request: Request, db: DB, actor: Caller) -> Response:
    p = _logout_params(request)
    check = actions.logout_check(db, actor, issuer(request), p["id_token_hint"], p["post_logout_redirect_uri"],
                                 p["client_id"])  # fmt: skip
    if check.error:
        return render(request, "oidc_error.html", actor, 400, title="无法退出登录", detail=check.error)
    return _logged_out(request, db, actor, check, p["state"])


def _logged_out(
    request: Request, db: DB, actor: Caller, check: actions.LogoutCheck, state: str | None
) -> Response:
    actions.logout(db, actor, check, request.cookies.get(SESSION_COOKIE))
    target = "/login"
    if check.redirect:
        sep = "&" if "?" in check.redirect else "?"
        target = check.redirect + (sep + urlencode({"state": state}) if state else "")
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
