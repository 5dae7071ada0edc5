"""Catalog pages for staff: browse and search the data resource catalog, one resource's page."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from yiwang.contexts import identity
from yiwang.contexts.catalog import actions
from yiwang.contexts.catalog.repository import ResourceQuery
from yiwang.contexts.catalog.schemas import OPEN_TYPE_ZH, SENSITIVITY_ZH, SHARE_TYPE_ZH
from yiwang.contexts.identity import LoggedIn
from yiwang.core.actor import STAFF_ROLES, Actor
from yiwang.core.web import nav
from yiwang.core.web.deps import DB
from yiwang.core.web.templating import add_template_folder, templates

router = APIRouter(include_in_schema=False)
add_template_folder(Path(__file__).parent / "templates")
PAGE = 20

DATA_TYPE_ZH = {
    "string": "文本", "date": "日期", "integer": "整数", "money": "金额（分）",
    "id_number": "身份证号码", "credit_code": "统一社会信用代码", "code": "代码",
}  # fmt: skip
SUBJECT_ZH = {"person": "自然人", "enterprise": "法人"}

nav.add_nav("数据目录", "/catalog", STAFF_ROLES, order=40)
_CARD_BODY = {
    "data_officer": "登记与查看各部门信息资源、信息项及敏感级别，了解谁在使用。",
    "dept_staff": "查找可共享的其他部门数据，了解共享类型、依据和申请条件。",
    "window_clerk": "查看办件可复用的共享数据，减少群众提交的材料。",
    "leader": "掌握全市政务信息资源的登记与共享情况。",
    "admin": "浏览政务信息资源目录及其共享接口。",
}
for _role, _body in _CARD_BODY.items():
    nav.add_card(_role, "数据目录", _body, "/catalog", 40)


def _render(request: Request, name: str, actor: Actor, status: int = 200, **ctx: Any) -> Response:
    ctx.update(actor=actor, csrf=getattr(request.state, "csrf", ""), SHARE_TYPE_ZH=SHARE_TYPE_ZH,
               OPEN_TYPE_ZH=OPEN_TYPE_ZH, SENSITIVITY_ZH=SENSITIVITY_ZH, DATA_TYPE_ZH=DATA_TYPE_ZH,
               SUBJECT_ZH=SUBJECT_ZH)  # fmt: skip
    return templates.TemplateResponse(request, name, ctx, status_code=status)


@router.get("/catalog")
def catalog_page(
    request: Request,
    db: DB,
    actor: LoggedIn,
    q: Annotated[str, Query(max_length=100)] = "",
    provider: Annotated[str, Query(max_length=40)] = "",
    share: Annotated[str, Query(max_length=20)] = "",
    theme: Annotated[str, Query(max_length=60)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    q, provider, theme = q.strip(), provider.strip(), theme.strip()
    share = share if share in SHARE_TYPE_ZH else ""
    counts = actions.provider_counts(db, actor)
    providers = [d for d in identity.departments(db) if d.id in counts]
    chosen = next((d for d in providers if d.code == provider), None)
    terms = tuple(q.split()) + ((theme,) if theme else ())
    query = ResourceQuery(
        terms=terms,
        provider_ids=(chosen.id,) if chosen else (() if provider else None),
        share_type=share or None,
    )
    total, items = actions.resource_query(db, actor, query, (page - 1) * PAGE, PAGE)
    pages = max(1, math.ceil(total / PAGE))
    filters = {k: v for k, v in {"q": q, "provider": provider, "share": share, "theme": theme}.items() if v}

    def link(n: int) -> str:
        return "/catalog?" + urlencode({**filters, "page": n})

    return _render(
        request, "catalog_list.html", actor, items=items, total=total, q=q, provider=provider, share=share,
        theme=theme, providers=providers, counts=counts, page=page, pages=pages, filtered=bool(filters),
        prev_link=link(page - 1) if page > 1 else None, next_link=link(page + 1) if page < pages else None,
    )  # fmt: skip


@router.get("/catalog/{code}")
def resource_page(request: Request, code: str, db: DB, actor: LoggedIn) -> Response:
    r = actions.resource_read(db, actor, code[:40])
    personal = sum(1 for f in r.fields if f.personal)
    return _render(request, "catalog_resource.html", actor, r=r, personal=personal)
