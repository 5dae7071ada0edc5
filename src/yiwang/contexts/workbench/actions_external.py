"""Tasks that other systems send to the one to-do list (`POST /api/v1/tasks`): created,
changed and closed by the sending client only, each change an event the list is projected from."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from yiwang.contexts import identity
from yiwang.contexts.workbench import projection
from yiwang.contexts.workbench import repository as repo
from yiwang.contexts.workbench.events import TASK_CLOSED, TASK_CREATED, TASK_UPDATED, TaskSnapshot
from yiwang.contexts.workbench.models import Task
from yiwang.contexts.workbench.policies import ClientTask
from yiwang.contexts.workbench.schemas import AssigneeIn, TaskIn, TaskOut, TaskPatch
from yiwang.core import audit, authz, events
from yiwang.core.actor import STAFF_ROLES, Actor
from yiwang.core.codes import region_covers
from yiwang.core.db import utcnow
from yiwang.core.errors import Conflict, FieldError, NotFound, ValidationFailed


def _resolve(
    session: Session, actor: Actor, a: AssigneeIn, field: str = "assignee"
) -> tuple[int | None, int | None, list[str], str]:
    """(user id, department id, roles, region) of an assignee: a member of staff or a department
    within the calling system's region; anyone else is a field error."""
    scope = actor.region_code or ""
    if a.username is not None:
        acct = identity.account(session, a.username)
        if acct is None or acct.disabled or not acct.roles & STAFF_ROLES:
            raise ValidationFailed(
                "办理人不存在", [FieldError(f"{field}.username", "没有该用户名的工作人员", "unknown")]
            )
        if not region_covers(scope, acct.region_code or ""):
            raise ValidationFailed("办理人不在本系统的区划内",
                                   [FieldError(f"{field}.username", "只能把待办交给本系统所属区划的工作人员", "out_of_scope")])  # fmt: skip
        return acct.id, None, [], acct.region_code or ""
    dept = identity.department_by_code(session, a.department or "")
    if dept is None:
        raise ValidationFailed(
            "办理部门不存在", [FieldError(f"{field}.department", "没有该代码的部门", "unknown")]
        )
    if not region_covers(scope, dept.region_code):
        raise ValidationFailed("办理部门不在本系统的区划内",
                               [FieldError(f"{field}.department", "只能把待办交给本系统所属区划的部门", "out_of_scope")])  # fmt: skip
    return None, dept.id, [a.role] if a.role else [], dept.region_code


def view(t: Task) -> TaskOut:
    assignee: dict[str, object] = {"user_id": t.assignee_user_id, "department_id": t.assignee_department_id,
                                   "roles": t.assignee_roles.split()}  # fmt: skip
    return TaskOut(id=t.id, external_id=t.external_id or "", title=t.title, url=t.url, status=t.status,
                   assignee=assignee, due=t.due_at, urgency=t.urgency, created_at=t.created_at,
                   updated_at=t.updated_at, closed_at=t.closed_at)  # fmt: skip


def _publish(session: Session, type_: str, snap: TaskSnapshot) -> Task:
    event = events.emit(session, type_, f"task/{snap.task_id}", snap)
    projection.apply(
        session, event
    )  # at once, so the caller reads its own write; the subscriber finds it done
    t = repo.task(session, snap.task_id)
    assert t is not None
    return t


def task_create(session: Session, actor: Actor, data: TaskIn) -> TaskOut:
    authz.check(actor, "workbench.task_create", None)
    assert actor.client_id is not None
    if repo.by_external(session, actor.client_id, data.external_id) is not None:
        raise Conflict(f"本系统已推送过编号为 {data.external_id} 的待办，请用 PATCH 更新")
    user_id, dept_id, roles, region = _resolve(session, actor, data.assignee)
    snap = TaskSnapshot(
        task_id=str(uuid.uuid4()), client_id=actor.client_id, client_name=actor.name or actor.client_id,
        external_id=data.external_id, title=data.title, url=data.url, assignee_user_id=user_id,
        assignee_department_id=dept_id, assignee_roles=roles, region_code=region, due_at=data.due,
        urgency=data.urgency, status="open", changes=1, created_at=utcnow(),
    )  # fmt: skip
    t = _publish(session, TASK_CREATED, snap)
    audit.record(
        session, actor, "workbench.task_create", "task", t.id, detail={"external_id": data.external_id}
    )
    return view(t)


def task_read(session: Session, actor: Actor, task_id: str) -> TaskOut:
    t = repo.task(session, task_id)
    authz.check(actor, "workbench.task_read", ClientTask(t.client_id if t else actor.client_id))
    if t is None or t.kind != "external":
        raise NotFound("待办不存在")
    return view(t)


def task_list(session: Session, actor: Actor, status: str | None, limit: int, offset: int) -> list[TaskOut]:
    authz.check(actor, "workbench.task_read", ClientTask(actor.client_id))
    return [view(t) for t in repo.of_client(session, actor.client_id or "", status, limit, offset)]


def task_update(session: Session, actor: Actor, task_id: str, patch: TaskPatch) -> TaskOut:
    t = repo.task(session, task_id, for_update=True)  # two changes at once: one after the other
    authz.check(actor, "workbench.task_update", ClientTask(t.client_id if t else actor.client_id))
    if t is None or t.kind != "external":
        raise NotFound("待办不存在")
    if t.status != "open" and patch.status in (None, t.status):
        raise Conflict("该待办已办结或撤销，不能再修改")
    user_id, dept_id, roles, region = (
        _resolve(session, actor, patch.assignee) if patch.assignee
        else (t.assignee_user_id, t.assignee_department_id, t.assignee_roles.split(), t.region_code)
    )  # fmt: skip
    status = patch.status or t.status
    snap = TaskSnapshot(
        task_id=t.id, client_id=t.client_id or "", client_name=t.source_label, external_id=t.external_id or "",
        title=patch.title or t.title, url=patch.url or t.url, assignee_user_id=user_id, assignee_department_id=dept_id,
        assignee_roles=roles, region_code=region,
        due_at=patch.due if "due" in patch.model_fields_set else t.due_at, urgency=patch.urgency or t.urgency,
        status=status, changes=t.changes + 1, created_at=t.created_at,
    )  # fmt: skip
    kind = TASK_CLOSED if status != "open" else TASK_UPDATED
    updated = _publish(session, kind, snap)
    audit.record(session, actor, f"workbench.task_{'close' if status != 'open' else 'update'}", "task", t.id,
                 detail={"fields": sorted(patch.model_fields_set), "status": status})  # fmt: skip
    return view(updated)
