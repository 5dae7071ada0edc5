"""Workbench pages: the one to-do list (待办), a case with its timeline and 督办, the cases a
leader supervises, and the workflow definitions drawn as diagrams."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from yiwang.contexts import identity
from yiwang.contexts.identity import LoggedIn
from yiwang.contexts.workbench import actions, actions_workflows
from yiwang.contexts.workbench import repository as repo
from yiwang.core.actor import STAFF_ROLES, Actor
from yiwang.core.errors import Conflict, Forbidden, ValidationFailed
from yiwang.core.web import nav
from yiwang.core.web.deps import DB, local_path
from yiwang.core.web.templating import add_template_folder, templates

router = APIRouter(include_in_schema=False)
add_template_folder(Path(__file__).parent / "templates")

nav.add_nav("待办", "/workbench/tasks", STAFF_ROLES, order=5, badge="/workbench/tasks/badge")
nav.add_nav("督办", "/workbench/supervision", {"leader"}, order=8)


def _work(db: Any, actor: Actor) -> list[nav.Figure]:
    c = actions.todo_counts(db, actor)
    return [nav.Figure("待办", c.open, "/workbench/tasks"),
            nav.Figure("已超期", c.overdue, "/workbench/tasks?due=overdue", alert=True),
            nav.Figure("督办", c.supervised, "/workbench/tasks?supervised=true")]  # fmt: skip


nav.add_figures(STAFF_ROLES, _work)
for _role in sorted(STAFF_ROLES):
    nav.add_card(_role, "统一待办", "各部门、各业务系统等待您或本部门办理的事项，按期限排列，超期标红，可直接办理。",
                 "/workbench/tasks", 1)  # fmt: skip
nav.add_card(
    "leader",
    "我督办的",
    "您列入督办的案件及其办理进度；在任一案件页面可列入督办。",
    "/workbench/supervision",
    2,
)
for _role in ("admin", "data_officer", "leader"):
    nav.add_card(
        _role,
        "流程定义",
        "各业务的办理流程图：环节、办理人、办理期限、预警与超期升级。",
        "/workbench/workflows",
        90,
    )
DUE_ZH = {"overdue": "已超期", "today": "今日到期", "week": "7 日内到期"}
NOTICES = {"done": "已办理。", "supervised": "已列入督办，办理人将看到督办标记。", "ended": "督办已结束。"}


def _render(request: Request, name: str, actor: Actor, status: int = 200, **ctx: Any) -> Response:
    ctx.update(actor=actor, csrf=getattr(request.state, "csrf", ""), DUE_ZH=DUE_ZH)
    return templates.TemplateResponse(request, name, ctx, status_code=status)


def _department_names(db: DB) -> dict[int, str]:
    return {d.id: d.name for d in identity.departments(db)}


@router.get("/workbench/tasks")
def todo(
    request: Request,
    db: DB,
    actor: LoggedIn,
    source: Annotated[str | None, Query(max_length=60)] = None,
    state: Annotated[str | None, Query(max_length=60)] = None,
    due: Annotated[str | None, Query(pattern="^(overdue|today|week)?$")] = None,
    urgency: Annotated[str | None, Query(max_length=20)] = None,
    supervised: bool = False,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    notice: str = "",
) -> Response:
    filters = repo.Filters(source or None, state or None, due or None, urgency or None, supervised)
    p = actions.todo_page(db, actor, filters, page)
    query = {k: v for k, v in {"source": source, "state": state, "due": due, "urgency": urgency,
                               "supervised": "true" if supervised else None}.items() if v}  # fmt: skip
    return _render(request, "workbench_tasks.html", actor, p=p, query=urlencode(query), departments=_department_names(db),
                   here=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
                   notice=NOTICES.get(notice, ""))  # fmt: skip


@router.get("/workbench/tasks/badge")
def todo_badge(request: Request, db: DB, actor: LoggedIn) -> Response:
    """The count next to 待办 in the navigation (htmx loads it after the page)."""
    try:
        counts = actions.todo_counts(db, actor)
    except Forbidden:
        counts = None
    return _render(request, "_todo_badge.html", actor, counts=counts)


@router.get("/workbench/cases/{case_id}")
def case_page(request: Request, db: DB, actor: LoggedIn, case_id: int, notice: str = "") -> Response:
    return _case(request, db, actor, case_id, notice=NOTICES.get(notice, ""))


def _case(request: Request, db: DB, actor: Actor, case_id: int, status: int = 200, **ctx: Any) -> Response:
    page = actions.case_page(db, actor, case_id)
    ctx.setdefault("errors", {})
    ctx.setdefault("values", {})
    return _render(request, "workbench_case.html", actor, status, c=page.case, page=page,
                   departments=_department_names(db), **ctx)  # fmt: skip


@router.post("/workbench/cases/{case_id}/transitions/{code}")
def case_transition(
    request: Request,
    db: DB,
    actor: LoggedIn,
    case_id: int,
    code: str,
    revision: Annotated[int | None, Form(ge=0, le=1_000_000)] = None,
    comment: Annotated[str, Form(max_length=2000)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        actions.case_transition(db, actor, case_id, code, revision, comment.strip(), reason.strip())
    except Conflict as exc:
        db.rollback()
        return _case(request, db, actor, case_id, 409, conflict=exc.detail)
    except ValidationFailed as exc:
        db.rollback()
        return _case(request, db, actor, case_id, 422, errors={e.field: e.detail for e in exc.errors},
                     values={"comment": comment, "reason": reason}, open_choice=code)  # fmt: skip
    target = local_path(next, "/workbench/tasks") if next else f"/workbench/cases/{case_id}"
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}notice=done", status_code=303)


@router.post("/workbench/cases/{case_id}/supervise")
def case_supervise(
    request: Request,
    db: DB,
    actor: LoggedIn,
    case_id: int,
    note: Annotated[str, Form(max_length=2000)] = "",
    due_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    values = {"note": note, "due_on": due_on}
    try:
        day = date.fromisoformat(due_on)
    except ValueError:
        return _case(request, db, actor, case_id, 422, errors={"due_on": "请选择督办期限"}, values=values)
    try:
        actions.case_supervise(db, actor, case_id, note, day)
    except ValidationFailed as exc:
        return _case(
            request, db, actor, case_id, 422, errors={e.field: e.detail for e in exc.errors}, values=values
        )
    except Conflict as exc:
        db.rollback()
        return _case(request, db, actor, case_id, 409, conflict=exc.detail)
    return RedirectResponse(f"/workbench/cases/{case_id}?notice=supervised", status_code=303)


@router.post("/workbench/supervisions/{supervision_id}/end")
def supervision_end(
    request: Request,
    db: DB,
    actor: LoggedIn,
    supervision_id: int,
    outcome: Annotated[str, Form(max_length=2000)] = "",
    case_id: Annotated[int, Form(ge=1)] = 0,
) -> Response:
    try:
        actions.supervision_end(db, actor, supervision_id, outcome)
    except Conflict as exc:
        db.rollback()
        return _case(request, db, actor, case_id, 409, conflict=exc.detail)
    return RedirectResponse(f"/workbench/cases/{case_id}?notice=ended" if case_id else "/workbench/supervision",
                            status_code=303)  # fmt: skip


@router.get("/workbench/supervision")
def supervision_list(request: Request, db: DB, actor: LoggedIn) -> Response:
    rows = actions.supervision_list(db, actor)
    return _render(request, "workbench_supervision.html", actor, rows=rows, departments=_department_names(db))


@router.get("/workbench/workflows")
def workflows(request: Request, db: DB, actor: LoggedIn) -> Response:
    return _render(
        request, "workbench_workflows.html", actor, items=actions_workflows.definition_list(db, actor)
    )


@router.get("/workbench/workflows/{code}")
def workflow(request: Request, db: DB, actor: LoggedIn, code: str, version: int | None = None) -> Response:
    d = actions_workflows.definition_page(db, actor, code, version)
    return _render(request, "workbench_workflow.html", actor, d=d)
