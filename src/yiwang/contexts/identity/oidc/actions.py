"""Use cases of single sign-on: consent and authorize, token exchange, userinfo, logout, keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749.errors import OAuth2Error
from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy.orm import Session

from yiwang.contexts.identity import repository as identity_repo
from yiwang.contexts.identity.oidc import keys
from yiwang.contexts.identity.oidc import repository as repo
from yiwang.contexts.identity.oidc.models import OidcClient
from yiwang.contexts.identity.oidc.server import SCOPES, Provider, StarletteRequest, user_claims
from yiwang.core import audit, authz, crypto
from yiwang.core.actor import Actor
from yiwang.core.db import utcnow


@dataclass
class Consent:
    """What the consent page shows: which system asks for what."""

    client_name: str
    scopes: list[str]  # Chinese descriptions
    grant: Any


def consent_prepare(session: Session, actor: Actor, request: StarletteRequest, issuer: str) -> Consent:
    """Validate an authorization request (raises Authlib's OAuth2Error) for the consent page."""
    authz.check(actor, "identity.oidc_consent_read", actor)
    provider = Provider(session, issuer)
    grant = provider.get_consent_grant(request, end_user=identity_repo.user(session, actor.id or 0))
    scope = grant.client.get_allowed_scope(request.payload.scope)
    return Consent(grant.client.row.name, [SCOPES[s] for s in scope.split() if s in SCOPES], grant)


def authorize(
    session: Session, actor: Actor, request: StarletteRequest, issuer: str, approve: bool, auth_time: Any
) -> Any:
    """The user's decision: a redirect back to the client with a code, or with access_denied."""
    authz.check(actor, "identity.oidc_authorize", actor)
    provider = Provider(session, issuer, auth_time=auth_time)
    user = identity_repo.user(session, actor.id or 0)
    try:
        grant = provider.get_consent_grant(request, end_user=user)
    except OAuth2Error as error:
        return provider.handle_error_response(request, error)
    response = provider.create_authorization_response(
        request, grant_user=user if approve else None, grant=grant
    )
    if grant.client is not None and response.status_code in (302, 303):
        audit.record(session, actor, "identity.oidc_authorize", "oidc_client", grant.client.row.client_id,
                     outcome="ok" if approve else "denied", detail={"scope": request.payload.scope})  # fmt: skip
    return response


def token_exchange(session: Session, actor: Actor, request: StarletteRequest, issuer: str) -> Any:
    """The token endpoint (code or refresh token for tokens); the client's secret decides."""
    authz.check(actor, "identity.oidc_token_issue", None)
    provider = Provider(session, issuer)
    response = provider.create_token_response(request)
    if provider.reused_code is not None:
        audit.record(session, actor, "identity.oidc_token_issue", "oidc_code", provider.reused_code,
                     outcome="reused")  # fmt: skip
    if provider.issued is not None and response.status_code == 200:
        row = provider.issued
        client = repo.client_by_pk(session, row.client_pk)
        audit.record(session, Actor(kind="user", id=row.user_id, name=f"用户 {row.user_id}",
                                    client_id=client.client_id if client else None),
                     "identity.oidc_token_issue", "oidc_client", client.client_id if client else row.client_pk,
                     detail={"grant_type": request.payload.grant_type, "scope": row.scope})  # fmt: skip
    return response


def userinfo_read(session: Session, actor: Actor, access_token: str) -> dict[str, Any] | None:
    """The claims of the token's user for its scope, or None for an unknown, expired or revoked token."""
    authz.check(actor, "identity.oidc_userinfo_read", None)
    row = repo.token_by_access(session, crypto.token_hash(access_token))
    if row is None or row.revoked or row.expires_at <= utcnow() or "openid" not in row.scope.split():
        return None
    user = identity_repo.user(session, row.user_id)
    if user is None or user.disabled:
        return None
    return user_claims(session, user, row.scope)


@dataclass
class LogoutCheck:
    client: OidcClient | None
    user_id: int | None  # the hint's subject
    redirect: str | None  # where to send the browser afterwards
    error: str = ""


def logout_check(
    session: Session, actor: Actor, issuer: str, id_token_hint: str | None, post_logout_redirect_uri: str | None,
    client_id: str | None,
) -> LogoutCheck:  # fmt: skip
    """RP-initiated logout 1.0: a hint must be an ID token we signed for that client; a redirect
    must be one the client registered (else none happens)."""
    authz.check(actor, "identity.oidc_logout", None)
    client, sub = None, None
    if id_token_hint:
        try:
            claims = jwt.decode(id_token_hint, keys.public_key_set(session)).claims
        except (JoseError, ValueError):
            return LogoutCheck(None, None, None, "登出请求中的身份令牌无效")
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if claims.get("iss") != issuer or (client_id and client_id not in auds):
            return LogoutCheck(None, None, None, "登出请求中的身份令牌不是本平台为该系统签发的")
        client_id = client_id or (auds[0] if auds else None)
        sub = int(claims["sub"]) if str(claims.get("sub", "")).isdigit() else None
    if client_id:
        client = repo.client(session, client_id[:40])
        if client is None:
            return LogoutCheck(None, sub, None, "接入系统不存在")
    if post_logout_redirect_uri:
        if client is None or post_logout_redirect_uri not in client.post_logout_redirect_uris:
            return LogoutCheck(client, sub, None, "登出后的跳转地址未在该系统登记")
    return LogoutCheck(client, sub, post_logout_redirect_uri)


def logout(session: Session, actor: Actor, check: LogoutCheck, session_token: str | None) -> None:
    """End the yiwang login session and the client's tokens for this user."""
    authz.check(actor, "identity.oidc_logout", None)
    user_id = actor.id if actor.kind == "user" else check.user_id
    if session_token:
        identity_repo.delete_session(session, crypto.token_hash(session_token))
    revoked = repo.revoke_tokens_of(session, check.client.id, user_id) if check.client and user_id else 0
    audit.record(session, actor, "identity.oidc_logout", "user", user_id,
                 detail={"client_id": check.client.client_id if check.client else None, "tokens_revoked": revoked})  # fmt: skip


def key_rotate(session: Session, actor: Actor, alg: str | None = None) -> tuple[str, list[str]]:
    """A new signing key; the old one stays published for a while. Returns the new kid and the retired."""
    authz.check(actor, "identity.oidc_key_rotate", None)
    if alg is not None and alg not in keys.ALGORITHMS:
        from yiwang.core.errors import FieldError, ValidationFailed

        raise ValidationFailed("签名算法有误", [FieldError("alg", f"仅支持 {'、'.join(keys.ALGORITHMS)}")])
    row, retired = keys.rotate(session, alg)
    audit.record(session, actor, "identity.oidc_key_rotate", "oidc_key", row.kid, detail={"retired": retired,
                 "alg": row.alg})  # fmt: skip
    return row.kid, retired
