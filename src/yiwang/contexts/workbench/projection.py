"""The to-do list as a projection of events: every case waiting for a member of staff is a
task, and so is every task another system sent. `apply` is the subscriber; `rebuild` replays
the whole outbox through it and comes out with the same list (ids included: they are derived
from the events, not allocated)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from yiwang.contexts.workbench import repository as repo
from yiwang.contexts.workbench.events import TASK_EVENTS, TaskSnapshot
from yiwang.contexts.workbench.models import Task
from yiwang.core import events
from yiwang.core.workflow_events import CaseAssignee, CaseEvent, is_case_event

_NS = uuid.UUID("6b1d3c1e-7f49-4f0e-9a39-1f6c0e3c2a77")
URGENCY_ZH = {"normal": "普通", "high": "紧急", "urgent": "特急"}


def case_task_id(case_id: int, escalation_level: int = 0) -> str:
    name = f"case:{case_id}" if not escalation_level else f"case:{case_id}:escalation:{escalation_level}"
    return str(uuid.uuid5(_NS, name))


def _put(
    session: Session, task_id: str, at: datetime, known: dict[str, Task] | None = None, **values: Any
) -> Task:
    """Create or update a task from an event; an event older than the task's last is ignored.
    `known`: the rows of the task's case, already read (a task not among them does not exist)."""
    t = known.get(task_id) if known is not None else repo.task(session, task_id)
    if t is None:
        t = Task(id=task_id, created_at=at, **values)
        t.updated_at = at
        repo.add(session, t)
        return t
    if t.changes > int(values["changes"]):
        return t
    for name, value in values.items():
        setattr(t, name, value)
    t.updated_at = at
    return t


def _assign(a: CaseAssignee) -> dict[str, Any]:
    return {"assignee_user_id": a.user_id, "assignee_department_id": a.department_id,
            "assignee_roles": " ".join(a.roles)}  # fmt: skip


def _case(session: Session, e: CaseEvent, at: datetime) -> None:
    """The case's own task (its row kept once the case no longer waits: a done row is the
    high-water mark that an older event, delivered late, is checked against) and one task per
    escalation level it reached."""
    known = {t.id: t for t in repo.tasks_of_case(session, e.case_id)}  # the case's own and escalation tasks
    mark = known.get(case_task_id(e.case_id))
    if mark is not None and mark.changes > e.changes:
        return  # an older snapshot of the case than the list already shows
    common = {
        "source": e.definition, "source_label": e.subject_label, "case_id": e.case_id, "title": e.title,
        "url": e.url, "region_code": e.region_code, "urgency": e.urgency, "urgency_label": e.urgency_label,
        "due_at": e.due_at, "due_provisional": e.due_provisional, "paused": e.paused, "overdue": e.overdue,
        "supervised": e.supervised, "changes": e.changes, "client_id": None, "external_id": None,
    }  # fmt: skip
    waiting = e.assignee is not None and not e.closed
    _put(session, case_task_id(e.case_id), at, known, **common, kind="case", state=e.state,
         state_label=e.state_label, status="open" if waiting else "done", closed_at=None if waiting else at,
         **_assign(e.assignee or CaseAssignee()))  # fmt: skip
    wanted = {x.level: x for x in e.escalated_to}
    still = {case_task_id(e.case_id, lv) for lv in wanted}
    for t in known.values():  # escalations no longer wanted are done
        if t.kind == "escalation" and t.status == "open" and t.id not in still:
            t.status, t.closed_at, t.changes, t.updated_at = "done", at, e.changes, at
    for level, x in wanted.items():
        _put(session, case_task_id(e.case_id, level), at, known, **{
            **common, "kind": "escalation", "state": f"escalation_{level}", "state_label": x.label,
            "status": "open", "closed_at": None, **_assign(x.assignee), "title": f"督办：{e.title}",
        })  # fmt: skip


def _external(session: Session, s: TaskSnapshot, at: datetime) -> None:
    _put(session, s.task_id, at, kind="external", source=f"client:{s.client_id}", source_label=s.client_name,
         case_id=None, client_id=s.client_id, external_id=s.external_id, title=s.title, url=s.url, state=s.status,
         state_label={"open": "待办理", "done": "已办结", "cancelled": "已撤销"}[s.status],
         assignee_user_id=s.assignee_user_id, assignee_department_id=s.assignee_department_id,
         assignee_roles=" ".join(s.assignee_roles), region_code=s.region_code, urgency=s.urgency,
         urgency_label=URGENCY_ZH.get(s.urgency, s.urgency), due_at=s.due_at, due_provisional=False, paused=False,
         overdue=False,
         supervised=False, status=s.status, changes=s.changes,
         closed_at=None if s.status == "open" else at)  # fmt: skip


def _looks_like_case(event: events.Event) -> bool:
    """A case's event, by its declared type, or (a type this process does not declare: another
    release's, a test's) by its data: the projection is rebuilt from the whole log."""
    try:
        return is_case_event(event)
    except RuntimeError:
        return {"case_id", "definition", "changes", "state"} <= event.data.keys()


def apply(session: Session, event: events.Event) -> None:
    """The subscriber: a case's change or another system's task, into the list."""
    if event.type in TASK_EVENTS:
        _external(session, TaskSnapshot.model_validate(event.data), event.time)
        return
    if not _looks_like_case(event):
        return
    try:
        data = CaseEvent.model_validate(event.data)
    except ValidationError:
        return
    _case(session, data, event.time)


def _wanted(type_: str) -> bool:
    try:
        return type_ in TASK_EVENTS or events.type_of(type_).data is CaseEvent
    except RuntimeError:
        return False


events.subscribe("workbench.todo", "yiwang.*", apply, only=_wanted)


def rebuild(session: Session, batch: int = 1000) -> int:
    """Throw the list away and replay every event into it (in the caller's transaction)."""
    from yiwang.core import events_repository

    repo.delete_all(session)
    after, seen = 0, 0
    while True:
        rows = events_repository.since(session, after, None, None, batch)
        if not rows:
            return seen
        for row in rows:
            apply(session, events.Event.of(row))
            session.flush()
            after = row.id
        seen += len(rows)
