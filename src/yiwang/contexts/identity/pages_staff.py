"""Staff pages of the identity context: persons and enterprises in the actor's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from yiwang.contexts.identity import actions, region_name
from yiwang.contexts.identity.pages import render
from yiwang.contexts.identity.policies import PERSON_READERS
from yiwang.contexts.identity.web import LoggedIn
from yiwang.core import authz
from yiwang.core.errors import DomainError
from yiwang.core.web import nav
from yiwang.core.web.deps import DB

router = APIRouter(include_in_schema=False)
PAGE = 20

nav.add_nav("自然人", "/persons", PERSON_READERS, order=20)
nav.add_nav("企业", "/enterprises", PERSON_READERS, order=30)
for _role in ("window_clerk", "dept_staff", "grid_worker", "data_officer", "leader", "admin"):
    nav.add_card(
        _role,
        "自然人查询",
        "按身份证号码或姓名查询辖区内自然人，信息按权限脱敏，每次查看均留痕。",
        "/persons",
        20,
    )
    nav.add_card(_role, "企业查询", "按统一社会信用代码查询辖区内企业登记信息。", "/enterprises", 30)


@router.get("/persons")
def persons_page(
    request: Request,
    db: DB,
    actor: LoggedIn,
    q: Annotated[str, Query(max_length=50)] = "",
    after: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    authz.check(actor, "identity.person_list", actor.region_code)
    error, items = "", []
    q = q.strip()
    try:
        if q and q[:1].isdigit():
            items = [actions.person_find(db, actor, q, purpose="窗口查询")]
        else:
            items = actions.person_list(db, actor, None, q or None, after, PAGE)
    except DomainError as exc:
        if exc.status == 403:
            raise
        error = exc.detail
    next_after = items[-1].id if len(items) == PAGE else None
    scope = region_name(db, actor.region_code) if actor.region_code else ""
    return render(request, "persons.html", actor, items=items, q=q, error=error, next_after=next_after,
                  region_name=scope)  # fmt: skip


@router.get("/persons/{person_id}")
def person_page(request: Request, person_id: int, db: DB, actor: LoggedIn) -> Response:
    person = actions.person_read(db, actor, person_id, purpose="查看自然人详情")
    return render(request, "person.html", actor, p=person)


@router.get("/enterprises")
def enterprises_page(
    request: Request,
    db: DB,
    actor: LoggedIn,
    q: Annotated[str, Query(max_length=30)] = "",
    after: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    authz.check(actor, "identity.enterprise_list", actor.region_code)
    error, items = "", []
    q = q.strip()
    try:
        items = (
            [actions.enterprise_find(db, actor, q)]
            if q
            else actions.enterprise_list(db, actor, None, after, PAGE)
        )
    except DomainError as exc:
        if exc.status == 403:
            raise
        error = exc.detail
    next_after = items[-1].id if len(items) == PAGE else None
    return render(request, "enterprises.html", actor, items=items, q=q, error=error, next_after=next_after)
