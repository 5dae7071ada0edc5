"""Use cases of relying-party registration, by an administrator: register, change, revoke."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from yiwang.contexts.identity.oidc import repository as repo
from yiwang.contexts.identity.oidc.models import OidcClient
from yiwang.contexts.identity.oidc.server import SCOPES
from yiwang.core import audit, authz, crypto, security
from yiwang.core.actor import Actor
from yiwang.core.errors import FieldError, NotFound, ValidationFailed
from yiwang.settings import get_settings

MAX_URIS = 10
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def client_list(session: Session, actor: Actor) -> list[OidcClient]:
    authz.check(actor, "identity.oidc_client_list", None)
    return repo.clients(session)


def client_read(session: Session, actor: Actor, client_id: str) -> OidcClient:
    authz.check(actor, "identity.oidc_client_list", None)
    client = repo.client(session, client_id)
    if client is None:
        raise NotFound("单点登录接入系统不存在")
    return client


def client_create(
    session: Session, actor: Actor, name: str, redirect_uris: list[str], scopes: list[str],
    post_logout_redirect_uris: list[str] | None = None,
) -> tuple[OidcClient, str]:  # fmt: skip
    """Register a relying party; returns it and its secret, shown once."""
    authz.check(actor, "identity.oidc_client_create", None)
    post_logout = post_logout_redirect_uris or []
    _validate(name, redirect_uris, scopes, post_logout)
    secret = crypto.new_token()
    client = OidcClient(
        client_id="sso" + crypto.new_token(12).replace("-", "x").replace("_", "y"), name=name.strip(),
        secret_hash=security.hash_password(secret), redirect_uris=redirect_uris,
        post_logout_redirect_uris=post_logout, scopes=" ".join(s for s in SCOPES if s in set(scopes)),
    )  # fmt: skip
    repo.add(session, client)
    audit.record(session, actor, "identity.oidc_client_create", "oidc_client", client.client_id,
                 detail={"redirect_uris": redirect_uris, "scopes": client.scopes})  # fmt: skip
    return client, secret


def client_update(
    session: Session, actor: Actor, client_id: str, name: str, redirect_uris: list[str], scopes: list[str],
    post_logout_redirect_uris: list[str],
) -> OidcClient:  # fmt: skip
    authz.check(actor, "identity.oidc_client_update", None)
    client = repo.client(session, client_id)
    if client is None:
        raise NotFound("单点登录接入系统不存在")
    _validate(name, redirect_uris, scopes, post_logout_redirect_uris)
    client.name, client.redirect_uris = name.strip(), redirect_uris
    client.post_logout_redirect_uris = post_logout_redirect_uris
    client.scopes = " ".join(s for s in SCOPES if s in set(scopes))
    session.flush()
    audit.record(session, actor, "identity.oidc_client_update", "oidc_client", client.client_id,
                 detail={"redirect_uris": redirect_uris, "scopes": client.scopes})  # fmt: skip
    return client


def client_revoke(session: Session, actor: Actor, client_id: str) -> OidcClient:
    """Stop a relying party: no more logins, and every token it holds stops working."""
    authz.check(actor, "identity.oidc_client_revoke", None)
    client = repo.client(session, client_id)
    if client is None:
        raise NotFound("单点登录接入系统不存在")
    client.disabled = True
    revoked = repo.revoke_tokens_of_client(session, client.id)
    audit.record(session, actor, "identity.oidc_client_revoke", "oidc_client", client.client_id,
                 detail={"tokens_revoked": revoked})  # fmt: skip
    return client


def _validate(name: str, redirect_uris: list[str], scopes: list[str], post_logout: list[str]) -> None:
    errors = []
    if not name.strip() or len(name) > 100:
        errors.append(FieldError("name", "请填写系统名称（不超过 100 字）", "missing"))
    if not redirect_uris:
        errors.append(FieldError("redirect_uris", "至少登记一个回调地址", "missing"))
    for field, uris in (("redirect_uris", redirect_uris), ("post_logout_redirect_uris", post_logout)):
        if len(uris) > MAX_URIS:
            errors.append(FieldError(field, f"最多登记 {MAX_URIS} 个地址", "too_many"))
        bad = [u for u in uris if not _acceptable_uri(u)]
        if bad:
            errors.append(FieldError(field, f"地址须为完整的 https 地址（本机可用 http），不含 # 片段：{bad[0][:80]}",
                                     "invalid"))  # fmt: skip
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        errors.append(FieldError("scopes", f"未知的授权范围：{' '.join(unknown)}", "unknown"))
    if "openid" not in scopes:
        errors.append(FieldError("scopes", "授权范围必须包含 openid（身份认证）", "missing"))
    if errors:
        raise ValidationFailed("单点登录接入系统信息有误", errors)


def _acceptable_uri(uri: str) -> bool:
    if len(uri) > 500:
        return False
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    if parts.fragment or not parts.hostname:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and (parts.hostname in LOOPBACK or get_settings().env != "production")
