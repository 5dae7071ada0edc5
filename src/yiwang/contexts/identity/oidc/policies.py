"""Who may do what in single sign-on: pure functions of actor and target."""

from __future__ import annotations

from typing import Any

from yiwang.core.actor import Actor
from yiwang.core.authz import ALLOW, Decision, deny, policy


def _admin(actor: Actor, what: str) -> Decision:
    return ALLOW if actor.has("admin") else deny(f"仅系统管理员可{what}")


@policy("identity.oidc_consent_read")
def oidc_consent_read(actor: Actor, _target: Any) -> Decision:
    return ALLOW if actor.kind == "user" and not actor.disabled else deny("请先登录")


@policy("identity.oidc_authorize")
def oidc_authorize(actor: Actor, _target: Any) -> Decision:
    return ALLOW if actor.kind == "user" and not actor.disabled else deny("请先登录")


@policy("identity.oidc_token_issue")
def oidc_token_issue(_actor: Actor, _target: Any) -> Decision:
    return ALLOW  # the client's secret, the code and its verifier decide


@policy("identity.oidc_userinfo_read")
def oidc_userinfo_read(_actor: Actor, _target: Any) -> Decision:
    return ALLOW  # the access token decides


@policy("identity.oidc_logout")
def oidc_logout(_actor: Actor, _target: Any) -> Decision:
    return ALLOW  # anyone may end their own session; a hint only names whose tokens end


@policy("identity.oidc_client_list")
def oidc_client_list(actor: Actor, _target: Any) -> Decision:
    return _admin(actor, "查看单点登录接入系统")


@policy("identity.oidc_client_create")
def oidc_client_create(actor: Actor, _target: Any) -> Decision:
    return _admin(actor, "登记单点登录接入系统")


@policy("identity.oidc_client_update")
def oidc_client_update(actor: Actor, _target: Any) -> Decision:
    return _admin(actor, "修改单点登录接入系统")


@policy("identity.oidc_client_revoke")
def oidc_client_revoke(actor: Actor, _target: Any) -> Decision:
    return _admin(actor, "停用单点登录接入系统")


@policy("identity.oidc_key_rotate")
def oidc_key_rotate(actor: Actor, _target: Any) -> Decision:
    return _admin(actor, "轮换签名密钥")
