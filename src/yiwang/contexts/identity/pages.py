"""HTML pages of the identity context: login, logout, the home page per role, my data use."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from yiwang.contexts.identity import actions, actions_access, data_uses
from yiwang.contexts.identity import repository as repo
from yiwang.contexts.identity.demo.logins import DEMO_PASSWORD
from yiwang.contexts.identity.web import PRELOGIN_CSRF_COOKIE, SESSION_COOKIE, Caller, LoggedIn
from yiwang.core.actor import Actor, client_ip_var
from yiwang.core.security import limiter
from yiwang.core.web import nav
from yiwang.core.web.deps import DB, local_path
from yiwang.core.web.templating import SHANGHAI, add_template_folder, templates
from yiwang.settings import get_settings

router = APIRouter(include_in_schema=False)
add_template_folder(Path(__file__).parent / "templates")

nav.add_nav("我的数据", "/me", {"citizen", "enterprise"}, order=90)
nav.add_card("citizen", "谁用了我的数据", "查看各部门因何事、在何时使用了您的哪些个人信息。", "/me", 10)
nav.add_card("enterprise", "谁用了我的数据", "查看法定代表人个人信息被使用的记录。", "/me", 10)

LOGIN_PER_IP_PER_MINUTE = 20
USES_SHOWN = 500  # the latest uses of one's data, grouped on the page


def render(request: Request, name: str, actor: object, status: int = 200, **ctx: object) -> Response:
    ctx.update(actor=actor, csrf=getattr(request.state, "csrf", ""))
    response = templates.TemplateResponse(request, name, ctx, status_code=status)
    if getattr(actor, "kind", "") == "anonymous" and not request.cookies.get(PRELOGIN_CSRF_COOKIE):
        response.set_cookie(PRELOGIN_CSRF_COOKIE, request.state.csrf, httponly=True, samesite="strict",
                            secure=get_settings().cookie_secure)  # fmt: skip
    return response


@router.get("/login")
def login_form(request: Request, db: DB, actor: Caller, next: str | None = None) -> Response:
    if actor.kind == "user":
        return RedirectResponse(local_path(next), status_code=303)
    return _login_page(request, db, actor, 200, next=local_path(next))


def _login_page(request: Request, db: DB, actor: Actor, status: int, **ctx: object) -> Response:
    env = get_settings().env
    demo = actions_access.demo_login_list(db, actor, env) if env != "production" else []
    return render(request, "login.html", actor, status, demo=demo, demo_password=DEMO_PASSWORD, **ctx)


@router.post("/login")
def login(
    request: Request,
    db: DB,
    actor: Caller,
    username: Annotated[str, Form(max_length=50)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    ip = client_ip_var.get()
    if limiter.hit(f"login-ip:{ip}", LOGIN_PER_IP_PER_MINUTE):
        return _login_page(request, db, actor, 429, error="登录尝试过于频繁，请一分钟后再试", next=next,
                           username=username)  # fmt: skip
    result = actions_access.session_create(db, actor, username.strip(), password, ip)
    if not result.ok:
        return _login_page(request, db, actor, 401, error=result.message, next=local_path(next),
                           username=username)  # fmt: skip
    response = RedirectResponse(local_path(next), status_code=303)
    s = get_settings()
    response.set_cookie(SESSION_COOKIE, result.token, httponly=True, samesite="lax", secure=s.cookie_secure,
                        max_age=s.session_hours * 3600)  # fmt: skip
    response.delete_cookie(PRELOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, db: DB, actor: LoggedIn) -> Response:
    actions_access.session_delete(db, actor, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/")
def home(request: Request, db: DB, actor: LoggedIn) -> Response:
    region = repo.region(db, actor.region_code) if actor.region_code else None
    return render(request, "home.html", actor, cards=nav.cards_for(actor.roles), region=region,
                  figures=nav.figures_for(db, actor), today=datetime.now(SHANGHAI).date())  # fmt: skip


@router.get("/me")
def my_space(request: Request, db: DB, actor: LoggedIn) -> Response:
    me = actions.person_read(db, actor, actor.person_id) if actor.person_id else None
    uses = actions.data_access_list(db, actor, actor.person_id, limit=USES_SHOWN) if actor.person_id else []
    return render(
        request, "me.html", actor, me=me, uses=data_uses.grouped(uses), USE_NAMES=data_uses.USE_NAMES
    )
