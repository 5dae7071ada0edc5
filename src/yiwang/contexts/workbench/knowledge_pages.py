"""Knowledge pages: staff search and read articles, edit one (each save a new version) and see
its versions; citizens ask 智能咨询 in plain Chinese."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from yiwang.contexts import identity
from yiwang.contexts.identity import Caller, LoggedIn
from yiwang.contexts.workbench import knowledge_actions as actions
from yiwang.contexts.workbench import knowledge_consult as consult
from yiwang.contexts.workbench import knowledge_search as search
from yiwang.contexts.workbench.knowledge_models import KINDS
from yiwang.contexts.workbench.knowledge_schemas import ArticleIn
from yiwang.core.actor import STAFF_ROLES, Actor
from yiwang.core.errors import ValidationFailed, from_pydantic
from yiwang.core.web import nav
from yiwang.core.web.deps import DB
from yiwang.core.web.templating import add_template_folder, templates

router = APIRouter(include_in_schema=False)
add_template_folder(FilePath(__file__).parent / "templates")
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
PAGE = 20
FIELD_ZH = {"title": "标题", "body": "正文", "tags": "标签", "kind": "类别", "department": "所属部门",
            "valid_from": "生效日期", "valid_until": "失效日期", "note": "修改说明"}  # fmt: skip

nav.add_nav("知识库", "/workbench/knowledge", STAFF_ROLES, order=7)
nav.add_nav("智能咨询", "/consult", {"citizen", "enterprise"}, order=3)
for _role in sorted(STAFF_ROLES):
    nav.add_card(_role, "知识库", "政策文件、办事指南和 12345 热线答复，一处检索，看版本、可编辑。",
                 "/workbench/knowledge", 6)  # fmt: skip
for _role in ("citizen", "enterprise"):
    nav.add_card(_role, "智能咨询", "用自己的话提问，从政策文件、办事指南和热线答复中找到答案；找不到可转 12345。",
                 "/consult", 2)  # fmt: skip


def _render(request: Request, name: str, actor: Actor, status: int = 200, **ctx: Any) -> Response:
    ctx.update(actor=actor, csrf=getattr(request.state, "csrf", ""), KINDS=KINDS, FIELD_ZH=FIELD_ZH)
    return templates.TemplateResponse(request, name, ctx, status_code=status)


@router.get("/workbench/knowledge")
def knowledge_home(
    request: Request,
    db: DB,
    actor: LoggedIn,
    q: Annotated[str, Query(max_length=500)] = "",
    kind: Annotated[str, Query(pattern="^(policy|guide|answer)?$")] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    notice: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    hits: list[search.Ranked] = []
    rows: list[Any] = []
    total = 0
    if q.strip():
        hits = search.article_search(db, actor, q.strip(), limit=10, valid_only=False)
    else:
        rows, total = actions.article_list(db, actor, kind or None, PAGE, (page - 1) * PAGE)
    return _render(request, "workbench_knowledge_list.html", actor, q=q, kind=kind, hits=hits, rows=rows,
                   total=total, page=page, pages=max(1, -(-total // PAGE)), snippet=search.snippet,
                   today=date.today(), notice="已保存。" if notice == "saved" else "")  # fmt: skip


def _departments(db: DB) -> list[Any]:
    return identity.departments(db)


@router.get("/workbench/knowledge/new")
def article_new(request: Request, db: DB, actor: LoggedIn) -> Response:
    actions.article_list(db, actor, None, 1, 0)  # staff only, like the list
    return _render(request, "workbench_knowledge_edit.html", actor, a=None, values={"kind": "policy"}, errors={},
                   departments=_departments(db))  # fmt: skip


@router.get("/workbench/knowledge/{article_id}")
def article_page(request: Request, db: DB, actor: LoggedIn, article_id: Id,
                 notice: Annotated[str, Query(max_length=20)] = "") -> Response:  # fmt: skip
    a = actions.article_read(db, actor, article_id)
    dept = identity.department(db, a.department_id) if a.department_id else None
    return _render(request, "workbench_knowledge_article.html", actor, a=a, dept=dept,
                   versions=actions.article_versions(db, actor, article_id), today=date.today(),
                   notice="已保存为新版本。" if notice == "saved" else "")  # fmt: skip


@router.get("/workbench/knowledge/{article_id}/edit")
def article_edit(request: Request, db: DB, actor: LoggedIn, article_id: Id) -> Response:
    a = actions.article_read(db, actor, article_id)
    out = actions.view(db, a)
    values = out.model_dump() | {"tags": " ".join(out.tags)}
    return _render(request, "workbench_knowledge_edit.html", actor, a=a, values=values, errors={},
                   departments=_departments(db))  # fmt: skip


def _form(title: str, body: str, tags: str, kind: str, department: str, valid_from: str, valid_until: str,
          note: str, external_id: str) -> ArticleIn:  # fmt: skip
    raw = {"external_id": external_id, "title": title, "body": body, "tags": tags.replace("，", " ").split(),
           "kind": kind, "department": department or None, "valid_from": valid_from or None,
           "valid_until": valid_until or None, "note": note}  # fmt: skip
    try:
        return ArticleIn.model_validate(raw)
    except ValidationError as exc:
        raise from_pydantic(exc.errors(), drop_prefix=()) from None


Text = Annotated[str, Form(max_length=200_000)]
Short = Annotated[str, Form(max_length=500)]


@router.post("/workbench/knowledge/save")
def article_save(
    request: Request, db: DB, actor: LoggedIn, title: Short = "", body: Text = "", tags: Short = "",
    kind: Short = "policy", department: Short = "", valid_from: Short = "", valid_until: Short = "",
    note: Short = "", article_id: Annotated[int, Form(ge=0, le=2**63 - 1)] = 0,
) -> Response:  # fmt: skip
    values = {"title": title, "body": body, "tags": tags, "kind": kind, "department": department,
              "valid_from": valid_from, "valid_until": valid_until, "note": note}  # fmt: skip
    a = actions.article_read(db, actor, article_id) if article_id else None
    try:
        data = _form(title, body, tags, kind, department, valid_from, valid_until, note,
                     a.external_id if a else f"kb-{uuid.uuid4().hex[:16]}")  # fmt: skip
        out = actions.article_update(db, actor, a.id, data) if a else actions.article_save(db, actor, data)
    except ValidationFailed as exc:
        db.rollback()
        return _render(request, "workbench_knowledge_edit.html", actor, 422, a=a, values=values,
                       errors={e.field.split(".")[0]: e.detail for e in exc.errors}, departments=_departments(db))  # fmt: skip
    return RedirectResponse(f"/workbench/knowledge/{out.id}?notice=saved", status_code=303)


@router.get("/consult")
def consult_page(
    request: Request, db: DB, actor: Caller, q: Annotated[str, Query(max_length=500)] = ""
) -> Response:
    answer = consult.consult_ask(db, actor, q.strip()) if q.strip() else None
    name = "workbench_knowledge_consult_answer.html" if request.headers.get("hx-request") == "true" else (
        "workbench_knowledge_consult.html")  # fmt: skip
    return _render(request, name, actor, q=q, answer=answer,
                   handoff=consult.handoff_url(q.strip()) if q.strip() else consult.handoff_url(""))  # fmt: skip
