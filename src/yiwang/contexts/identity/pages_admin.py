"""Administration pages (系统管理): staff accounts, roles, departments, API clients, single sign-on.
Forms post back here; a refusal re-renders the form with the field-keyed messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from yiwang.contexts.identity import actions_access, actions_admin
from yiwang.contexts.identity import repository as repo
from yiwang.contexts.identity.oidc import actions as oidc_actions
from yiwang.contexts.identity.oidc import actions_clients as oidc_clients
from yiwang.contexts.identity.oidc import keys
from yiwang.contexts.identity.oidc.server import SCOPES
from yiwang.contexts.identity.pages import render
from yiwang.contexts.identity.web import LoggedIn
from yiwang.core import authz
from yiwang.core.actor import ROLE_NAMES
from yiwang.core.errors import DomainError
from yiwang.core.web import nav
from yiwang.core.web.deps import DB

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
ClientId = Annotated[str, Path(max_length=40)]
Text = Annotated[str, Form(max_length=100)]
Opt = Annotated[str, Form(max_length=60)]
Many = Annotated[list[str] | None, Form(max_length=30)]
Lines = Annotated[str, Form(max_length=5000)]

nav.add_nav("系统管理", "/admin/accounts", {"admin"}, order=70)
nav.add_card(
    "admin",
    "系统管理",
    "账号、角色、部门、接入系统与单点登录的登记和变更，每次修改均留痕。",
    "/admin/accounts",
    5,
)

API_SCOPE_NAMES = {"identity": "身份与组织", "catalog": "数据目录", "exchange": "数据共享交换",
                   "workbench": "协同办公", "tasks": "统一待办", "*": "全部接口"}  # fmt: skip
TABS = [("/admin/accounts", "账号"), ("/admin/roles", "角色"), ("/admin/departments", "部门"),
        ("/admin/api-clients", "接入系统"), ("/admin/oidc-clients", "单点登录")]  # fmt: skip


def _page(request: Request, actor: Any, name: str, tab: str, status: int = 200, **ctx: Any) -> Response:
    return render(request, name, actor, status, tabs=TABS, tab=tab, ROLE_NAMES=ROLE_NAMES, SCOPES=SCOPES,
                  API_SCOPE_NAMES=API_SCOPE_NAMES, KINDS=actions_admin.KIND_NAMES, **ctx)  # fmt: skip


def _attempt(change: Callable[[], Any]) -> tuple[Any, dict[str, str], str]:
    """Run a change; a refusal (not a 403) comes back as field messages and a summary."""
    try:
        return change(), {}, ""
    except DomainError as exc:
        if exc.status == 403:
            raise
        return None, {e.field: e.detail for e in exc.errors}, exc.detail or exc.title


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


# -- accounts -----------------------------------------------------------------------------------------


@router.get("/admin")
def admin_home(actor: LoggedIn) -> Response:
    authz.check(actor, "identity.user_list", None)
    return RedirectResponse("/admin/accounts", status_code=303)


@router.get("/admin/accounts")
def accounts_page(
    request: Request, db: DB, actor: LoggedIn, q: Annotated[str, Query(max_length=50)] = "",
    role: Annotated[str, Query(max_length=30)] = "", after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
) -> Response:  # fmt: skip
    return _accounts(request, db, actor, q=q.strip(), role=role, after=after)


def _accounts(request: Request, db: DB, actor: Any, status: int = 200, q: str = "", role: str = "", after: int = 0,
              **ctx: Any) -> Response:  # fmt: skip
    users = actions_admin.account_list(db, actor, q or None, role or None, after, 50)
    depts = {d.id: d.name for d in repo.departments(db)}
    return _page(request, actor, "admin_accounts.html", "/admin/accounts", status, users=users, depts=depts,
                 departments=repo.departments(db), q=q, role=role,
                 next_after=users[-1].id if len(users) == 50 else None, **ctx)  # fmt: skip


@router.post("/admin/accounts")
def account_create(
    request: Request, db: DB, actor: LoggedIn, username: Annotated[str, Form(max_length=50)],
    display_name: Annotated[str, Form(max_length=50)], password: Annotated[str, Form(max_length=200)],
    roles: Many = None, department_code: Opt = "", region_code: Annotated[str, Form(max_length=12)] = "",
) -> Response:  # fmt: skip
    user, errors, summary = _attempt(lambda: actions_access.user_create(
        db, actor, username.strip(), password, display_name.strip(), roles or [],
        department_code=department_code or None, region_code=region_code or None))  # fmt: skip
    if user is None:
        form = {"username": username, "display_name": display_name, "roles": roles or [],
                "department_code": department_code, "region_code": region_code}  # fmt: skip
        return _accounts(request, db, actor, 422, errors=errors, summary=summary, form=form)
    return _accounts(request, db, actor, notice=f"已创建账号 {user.username}（{user.display_name}）。")


def _account(request: Request, db: DB, actor: Any, user_id: int, status: int = 200, **ctx: Any) -> Response:
    user = actions_admin.account_read(db, actor, user_id)
    dept = repo.department(db, user.department_id) if user.department_id else None
    return _page(request, actor, "admin_account.html", "/admin/accounts", status, user=user, dept=dept,
                 departments=repo.departments(db), **ctx)  # fmt: skip


@router.get("/admin/accounts/{user_id}")
def account_page(request: Request, user_id: Id, db: DB, actor: LoggedIn) -> Response:
    return _account(request, db, actor, user_id)


@router.post("/admin/accounts/{user_id}")
def account_update(
    request: Request, user_id: Id, db: DB, actor: LoggedIn, display_name: Annotated[str, Form(max_length=50)],
    roles: Many = None, department_code: Opt = "", region_code: Annotated[str, Form(max_length=12)] = "",
) -> Response:  # fmt: skip
    done, errors, summary = _attempt(lambda: actions_admin.user_update(
        db, actor, user_id, display_name, roles or [], department_code or None, region_code or None))  # fmt: skip
    if done is None:
        return _account(request, db, actor, user_id, 422, errors=errors, summary=summary)
    return _account(request, db, actor, user_id, notice="已保存。")


@router.post("/admin/accounts/{user_id}/{what}")
def account_switch(
    request: Request, user_id: Id, what: Annotated[str, Path(pattern="^(disable|enable|password-reset)$")],
    db: DB, actor: LoggedIn,
) -> Response:  # fmt: skip
    if what == "password-reset":
        password, errors, summary = _attempt(lambda: actions_admin.user_password_reset(db, actor, user_id))
        return _account(request, db, actor, user_id, new_password=password, errors=errors, summary=summary)
    done, errors, summary = _attempt(
        lambda: actions_admin.user_disable(db, actor, user_id, what == "disable")
    )
    notice = ("账号已停用，其登录已全部结束。" if what == "disable" else "账号已启用。") if done else ""
    return _account(
        request, db, actor, user_id, 200 if done else 422, notice=notice, errors=errors, summary=summary
    )


# -- roles and departments ----------------------------------------------------------------------------


@router.get("/admin/roles")
def roles_page(request: Request, db: DB, actor: LoggedIn) -> Response:
    return _page(request, actor, "admin_roles.html", "/admin/roles", roles=actions_admin.role_list(db, actor))


def _departments(request: Request, db: DB, actor: Any, status: int = 200, **ctx: Any) -> Response:
    rows = actions_admin.department_list(db, actor)
    regions = {r.code: r.name for r in repo.regions(db, level=None)}
    return _page(request, actor, "admin_departments.html", "/admin/departments", status, rows=rows,
                 regions=regions, district_regions=[r for r in repo.regions(db) if len(r.code) == 6], **ctx)  # fmt: skip


@router.get("/admin/departments")
def departments_page(request: Request, db: DB, actor: LoggedIn) -> Response:
    return _departments(request, db, actor)


@router.post("/admin/departments")
def department_create(
    request: Request, db: DB, actor: LoggedIn, region_code: Annotated[str, Form(max_length=12)],
    kind: Annotated[str, Form(max_length=30)], name: Annotated[str, Form(max_length=60)],
    short_name: Annotated[str, Form(max_length=20)],
) -> Response:  # fmt: skip
    dept, errors, summary = _attempt(lambda: actions_admin.department_create(db, actor, region_code, kind, name,
                                                                             short_name))  # fmt: skip
    if dept is None:
        form = {"region_code": region_code, "kind": kind, "name": name, "short_name": short_name}
        return _departments(request, db, actor, 422, errors=errors, summary=summary, form=form)
    return _departments(request, db, actor, notice=f"已新建部门：{dept.name}。")


@router.post("/admin/departments/{dept_id}")
def department_update(
    request: Request, dept_id: Id, db: DB, actor: LoggedIn, name: Annotated[str, Form(max_length=60)],
    short_name: Annotated[str, Form(max_length=20)],
) -> Response:  # fmt: skip
    dept, errors, summary = _attempt(
        lambda: actions_admin.department_update(db, actor, dept_id, name, short_name)
    )
    if dept is None:
        return _departments(request, db, actor, 422, errors=errors, summary=summary)
    return _departments(request, db, actor, notice=f"已保存部门：{dept.name}。")


# -- API clients and single sign-on -------------------------------------------------------------------


def _api_clients(request: Request, db: DB, actor: Any, status: int = 200, **ctx: Any) -> Response:
    clients = actions_admin.api_client_list(db, actor)
    regions = {r.code: r.name for r in repo.regions(db)}
    return _page(request, actor, "admin_api_clients.html", "/admin/api-clients", status, clients=clients,
                 regions=regions, departments=repo.departments(db), **ctx)  # fmt: skip


@router.get("/admin/api-clients")
def api_clients_page(request: Request, db: DB, actor: LoggedIn) -> Response:
    return _api_clients(request, db, actor)


@router.post("/admin/api-clients")
def api_client_create(
    request: Request, db: DB, actor: LoggedIn, name: Text, scopes: Many = None,
    region_code: Annotated[str, Form(max_length=12)] = "", department_code: Opt = "",
) -> Response:  # fmt: skip
    made, errors, summary = _attempt(lambda: actions_access.client_create(
        db, actor, name.strip(), scopes or [], region_code, department_code or None))  # fmt: skip
    if made is None:
        form = {
            "name": name,
            "scopes": scopes or [],
            "region_code": region_code,
            "department_code": department_code,
        }
        return _api_clients(request, db, actor, 422, errors=errors, summary=summary, form=form)
    return _api_clients(request, db, actor, created=made[0], secret=made[1])


@router.post("/admin/api-clients/{client_id}/revoke")
def api_client_revoke(request: Request, client_id: ClientId, db: DB, actor: LoggedIn) -> Response:
    client = actions_admin.api_client_revoke(db, actor, client_id)
    return _api_clients(request, db, actor, notice=f"已停用接入系统：{client.name}。")


def _oidc(request: Request, db: DB, actor: Any, status: int = 200, **ctx: Any) -> Response:
    clients = oidc_clients.client_list(db, actor)
    return _page(request, actor, "admin_oidc_clients.html", "/admin/oidc-clients", status, clients=clients,
                 jwks=keys.jwks(db)["keys"], signing_kid=keys.signing(db)[0].kid, **ctx)  # fmt: skip


@router.get("/admin/oidc-clients")
def oidc_clients_page(request: Request, db: DB, actor: LoggedIn) -> Response:
    return _oidc(request, db, actor)


@router.post("/admin/oidc-clients")
def oidc_client_create(
    request: Request, db: DB, actor: LoggedIn, name: Text, redirect_uris: Lines = "", scopes: Many = None,
    post_logout_redirect_uris: Lines = "",
) -> Response:  # fmt: skip
    made, errors, summary = _attempt(lambda: oidc_clients.client_create(
        db, actor, name, _lines(redirect_uris), scopes or [], _lines(post_logout_redirect_uris)))  # fmt: skip
    if made is None:
        form = {"name": name, "redirect_uris": redirect_uris, "scopes": scopes or [],
                "post_logout_redirect_uris": post_logout_redirect_uris}  # fmt: skip
        return _oidc(request, db, actor, 422, errors=errors, summary=summary, form=form)
    return _oidc(request, db, actor, created=made[0], secret=made[1])


@router.get("/admin/oidc-clients/{client_id}")
def oidc_client_page(request: Request, client_id: ClientId, db: DB, actor: LoggedIn) -> Response:
    client = oidc_clients.client_read(db, actor, client_id)
    return _page(request, actor, "admin_oidc_client.html", "/admin/oidc-clients", client=client)


@router.post("/admin/oidc-clients/{client_id}")
def oidc_client_update(
    request: Request, client_id: ClientId, db: DB, actor: LoggedIn, name: Text, redirect_uris: Lines = "",
    scopes: Many = None, post_logout_redirect_uris: Lines = "",
) -> Response:  # fmt: skip
    done, errors, summary = _attempt(lambda: oidc_clients.client_update(
        db, actor, client_id, name, _lines(redirect_uris), scopes or [], _lines(post_logout_redirect_uris)))  # fmt: skip
    client = oidc_clients.client_read(db, actor, client_id)
    return _page(request, actor, "admin_oidc_client.html", "/admin/oidc-clients", 200 if done else 422,
                 client=client, errors=errors, summary=summary, notice="已保存。" if done else "")  # fmt: skip


@router.post("/admin/oidc-clients/{client_id}/revoke")
def oidc_client_revoke(request: Request, client_id: ClientId, db: DB, actor: LoggedIn) -> Response:
    client = oidc_clients.client_revoke(db, actor, client_id)
    return _oidc(request, db, actor, notice=f"已停用：{client.name}，其令牌已全部撤销。")


@router.post("/admin/oidc-keys/rotate")
def oidc_key_rotate(request: Request, db: DB, actor: LoggedIn) -> Response:
    kid, _ = oidc_actions.key_rotate(db, actor)
    return _oidc(request, db, actor, notice=f"已启用新签名密钥 {kid}，旧密钥仍公布一段时间。")
