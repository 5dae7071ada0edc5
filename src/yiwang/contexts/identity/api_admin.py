"""JSON routes of administration under /api/v1/admin: accounts, roles, departments, API clients and
single sign-on clients. System administrators only; every change is audited by its action."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from yiwang.contexts.identity import actions_access, actions_admin
from yiwang.contexts.identity.oidc import actions as oidc_actions
from yiwang.contexts.identity.oidc import actions_clients as oidc_clients
from yiwang.contexts.identity.web import LoggedIn
from yiwang.core.web.deps import DB

router = APIRouter(prefix="/api/v1/admin", tags=["系统管理"])
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
ClientId = Annotated[str, Path(max_length=40)]
Uri = Annotated[str, Field(max_length=500)]
Scope = Annotated[str, Field(max_length=60)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountIn(_In):
    username: str = Field(min_length=2, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$")
    display_name: str = Field(min_length=1, max_length=50)
    password: str = Field(min_length=8, max_length=200)
    roles: list[Annotated[str, Field(max_length=30)]] = Field(min_length=1, max_length=8)
    department_code: str | None = Field(None, max_length=40)
    region_code: str | None = Field(None, max_length=12)
    email: str | None = Field(None, max_length=254)
    mobile: str | None = Field(None, max_length=20)


class AccountPatch(_In):
    display_name: str = Field(min_length=1, max_length=50)
    roles: list[Annotated[str, Field(max_length=30)]] = Field(min_length=1, max_length=8)
    department_code: str | None = Field(None, max_length=40)
    region_code: str | None = Field(None, max_length=12)


class AccountOut(BaseModel):
    id: int
    username: str
    display_name: str
    roles: list[str]
    department_id: int | None
    region_code: str | None
    disabled: bool


class DepartmentIn(_In):
    region_code: str = Field(max_length=12)
    kind: str = Field(max_length=30)
    name: str = Field(min_length=1, max_length=60)
    short_name: str = Field(min_length=1, max_length=20)


class DepartmentPatch(_In):
    name: str = Field(min_length=1, max_length=60)
    short_name: str = Field(min_length=1, max_length=20)


class ApiClientIn(_In):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[Annotated[str, Field(max_length=80)]] = Field(min_length=1, max_length=50)
    region_code: str = Field(max_length=12)
    department_code: str | None = Field(None, max_length=40)
    rate_per_minute: int | None = Field(None, ge=1, le=100_000)


class OidcClientIn(_In):
    name: str = Field(min_length=1, max_length=100)
    redirect_uris: list[Uri] = Field(min_length=1, max_length=10)
    scopes: list[Scope] = Field(min_length=1, max_length=10)
    post_logout_redirect_uris: list[Uri] = Field(default_factory=list, max_length=10)


class OidcClientOut(BaseModel):
    client_id: str
    name: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    scopes: list[str]
    disabled: bool


def _account(u: object) -> AccountOut:
    return AccountOut(id=u.id, username=u.username, display_name=u.display_name, roles=u.roles.split(),  # type: ignore[attr-defined]
                      department_id=u.department_id, region_code=u.region_code, disabled=u.disabled)  # type: ignore[attr-defined]  # fmt: skip


def _oidc(c: object) -> OidcClientOut:
    return OidcClientOut(client_id=c.client_id, name=c.name, redirect_uris=c.redirect_uris,  # type: ignore[attr-defined]
                         post_logout_redirect_uris=c.post_logout_redirect_uris, scopes=c.scopes.split(),  # type: ignore[attr-defined]
                         disabled=c.disabled)  # type: ignore[attr-defined]  # fmt: skip


@router.get("/accounts", response_model=list[AccountOut], summary="账号列表")
def accounts(
    db: DB, actor: LoggedIn, q: Annotated[str | None, Query(max_length=50)] = None,
    role: Annotated[str | None, Query(max_length=30)] = None, after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[AccountOut]:  # fmt: skip
    return [_account(u) for u in actions_admin.account_list(db, actor, q, role, after, limit)]


@router.post("/accounts", response_model=AccountOut, status_code=201, summary="创建账号")
def account_create(body: AccountIn, db: DB, actor: LoggedIn) -> AccountOut:
    user = actions_access.user_create(
        db, actor, body.username, body.password, body.display_name, body.roles,
        department_code=body.department_code, region_code=body.region_code, email=body.email, mobile=body.mobile,
    )  # fmt: skip
    return _account(user)


@router.patch("/accounts/{user_id}", response_model=AccountOut, summary="修改账号（姓名、角色、部门、区划）")
def account_update(user_id: Id, body: AccountPatch, db: DB, actor: LoggedIn) -> AccountOut:
    return _account(actions_admin.user_update(db, actor, user_id, body.display_name, body.roles,
                                              body.department_code, body.region_code))  # fmt: skip


@router.post("/accounts/{user_id}/disable", response_model=AccountOut, summary="停用账号")
def account_disable(user_id: Id, db: DB, actor: LoggedIn) -> AccountOut:
    return _account(actions_admin.user_disable(db, actor, user_id, True))


@router.post("/accounts/{user_id}/enable", response_model=AccountOut, summary="启用账号")
def account_enable(user_id: Id, db: DB, actor: LoggedIn) -> AccountOut:
    return _account(actions_admin.user_disable(db, actor, user_id, False))


@router.post("/accounts/{user_id}/password-reset", summary="重置密码（新密码只显示这一次）")
def account_password_reset(user_id: Id, db: DB, actor: LoggedIn) -> dict[str, str]:
    return {"password": actions_admin.user_password_reset(db, actor, user_id)}


@router.get("/roles", summary="角色及持有账号数")
def roles(db: DB, actor: LoggedIn) -> list[dict[str, object]]:
    return [
        {"code": r.code, "name": r.name, "accounts": r.accounts} for r in actions_admin.role_list(db, actor)
    ]


@router.get("/departments", summary="部门列表")
def departments(db: DB, actor: LoggedIn) -> list[dict[str, object]]:
    return [{"id": d.id, "code": d.code, "name": d.name, "short_name": d.short_name, "kind": d.kind,
             "region_code": d.region_code, "accounts": n} for d, n in actions_admin.department_list(db, actor)]  # fmt: skip


@router.post("/departments", status_code=201, summary="新建部门")
def department_create(body: DepartmentIn, db: DB, actor: LoggedIn) -> dict[str, object]:
    d = actions_admin.department_create(db, actor, body.region_code, body.kind, body.name, body.short_name)
    return {"id": d.id, "code": d.code, "name": d.name, "short_name": d.short_name}


@router.patch("/departments/{dept_id}", summary="修改部门名称")
def department_update(dept_id: Id, body: DepartmentPatch, db: DB, actor: LoggedIn) -> dict[str, object]:
    d = actions_admin.department_update(db, actor, dept_id, body.name, body.short_name)
    return {"id": d.id, "code": d.code, "name": d.name, "short_name": d.short_name}


@router.get("/api-clients", summary="接入系统（API 客户端）列表")
def api_clients(db: DB, actor: LoggedIn) -> list[dict[str, object]]:
    return [{"client_id": c.client_id, "name": c.name, "scopes": c.scopes.split(), "region_code": c.region_code,
             "rate_per_minute": c.rate_per_minute, "disabled": c.disabled}
            for c in actions_admin.api_client_list(db, actor)]  # fmt: skip


@router.post("/api-clients", status_code=201, summary="登记接入系统（密钥只显示这一次）")
def api_client_create(body: ApiClientIn, db: DB, actor: LoggedIn) -> dict[str, str]:
    client, secret = actions_access.client_create(db, actor, body.name, body.scopes, body.region_code,
                                                  body.department_code, body.rate_per_minute)  # fmt: skip
    return {"client_id": client.client_id, "client_secret": secret}


@router.post("/api-clients/{client_id}/revoke", summary="停用接入系统")
def api_client_revoke(client_id: ClientId, db: DB, actor: LoggedIn) -> dict[str, object]:
    c = actions_admin.api_client_revoke(db, actor, client_id)
    return {"client_id": c.client_id, "disabled": c.disabled}


@router.get("/oidc-clients", response_model=list[OidcClientOut], summary="单点登录接入系统列表")
def oidc_clients_list(db: DB, actor: LoggedIn) -> list[OidcClientOut]:
    return [_oidc(c) for c in oidc_clients.client_list(db, actor)]


@router.post("/oidc-clients", status_code=201, summary="登记单点登录接入系统（密钥只显示这一次）")
def oidc_client_create(body: OidcClientIn, db: DB, actor: LoggedIn) -> dict[str, object]:
    c, secret = oidc_clients.client_create(db, actor, body.name, body.redirect_uris, body.scopes,
                                           body.post_logout_redirect_uris)  # fmt: skip
    return {**_oidc(c).model_dump(), "client_secret": secret}


@router.put("/oidc-clients/{client_id}", response_model=OidcClientOut, summary="修改单点登录接入系统")
def oidc_client_update(client_id: ClientId, body: OidcClientIn, db: DB, actor: LoggedIn) -> OidcClientOut:
    return _oidc(oidc_clients.client_update(db, actor, client_id, body.name, body.redirect_uris, body.scopes,
                                            body.post_logout_redirect_uris))  # fmt: skip


@router.post("/oidc-clients/{client_id}/revoke", response_model=OidcClientOut, summary="停用单点登录接入系统")
def oidc_client_revoke(client_id: ClientId, db: DB, actor: LoggedIn) -> OidcClientOut:
    return _oidc(oidc_clients.client_revoke(db, actor, client_id))


@router.post("/oidc-keys/rotate", summary="轮换 ID 令牌签名密钥")
def oidc_key_rotate(
    db: DB, actor: LoggedIn, alg: Annotated[str | None, Query(max_length=10)] = None
) -> dict[str, object]:
    kid, retired = oidc_actions.key_rotate(db, actor, alg)
    return {"kid": kid, "retired": retired}
