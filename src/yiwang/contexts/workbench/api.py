"""JSON routes of the workbench: other systems' tasks in the one to-do list (scope `tasks`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from yiwang.contexts.identity import Caller
from yiwang.contexts.workbench import actions, actions_external
from yiwang.contexts.workbench.schemas import TaskIn, TaskOut, TaskPatch
from yiwang.core.web.deps import DB

router = APIRouter(prefix="/api/v1", tags=["workbench"])


@router.post(
    "/tasks",
    response_model=TaskOut,
    status_code=201,
    summary="推送一条待办到统一待办（接入系统，范围 tasks）",
)
def task_create(body: TaskIn, db: DB, actor: Caller, response: Response) -> TaskOut:
    out = actions_external.task_create(db, actor, body)
    response.headers["Location"] = f"/api/v1/tasks/{out.id}"
    return out


@router.get("/tasks", response_model=list[TaskOut], summary="本系统推送的待办")
def task_list(
    db: DB,
    actor: Caller,
    status: Annotated[str | None, Query(pattern="^(open|done|cancelled)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> list[TaskOut]:
    return actions_external.task_list(db, actor, status, limit, offset)


@router.get("/tasks/{task_id}", response_model=TaskOut, summary="读取本系统推送的一条待办")
def task_read(task_id: str, db: DB, actor: Caller) -> TaskOut:
    return actions_external.task_read(db, actor, task_id)


@router.patch(
    "/tasks/{task_id}", response_model=TaskOut, summary="更新、办结（status=done）或撤销（cancelled）一条待办"
)
def task_update(task_id: str, body: TaskPatch, db: DB, actor: Caller) -> TaskOut:
    return actions_external.task_update(db, actor, task_id, body)


@router.get("/todo/counts", summary="我的待办数、超期数与督办数")
def todo_counts(db: DB, actor: Caller) -> dict[str, int]:
    c = actions.todo_counts(db, actor)
    return {"open": c.open, "overdue": c.overdue, "supervised": c.supervised}
