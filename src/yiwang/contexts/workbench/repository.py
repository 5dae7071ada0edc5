"""All SQL of the workbench: the to-do list's rows and queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, false, func, or_, select
from sqlalchemy.orm import Session

from yiwang.contexts.workbench.models import Task


def task(session: Session, task_id: str, for_update: bool = False) -> Task | None:
    if not for_update:
        return session.get(Task, task_id)
    q = select(Task).where(Task.id == task_id).with_for_update().execution_options(populate_existing=True)
    return session.scalar(q)


def add(session: Session, t: Task) -> None:
    session.add(t)
    session.flush()


def tasks_of_case(session: Session, case_id: int) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.case_id == case_id)))


def by_external(session: Session, client_id: str, external_id: str) -> Task | None:
    return session.scalar(select(Task).where(Task.client_id == client_id, Task.external_id == external_id))


def of_client(session: Session, client_id: str, status: str | None, limit: int, offset: int) -> list[Task]:
    q = select(Task).where(Task.client_id == client_id)
    if status:
        q = q.where(Task.status == status)
    return list(session.scalars(q.order_by(Task.created_at.desc(), Task.id).limit(limit).offset(offset)))


def delete_all(session: Session) -> int:
    return int(session.execute(delete(Task)).rowcount or 0)  # type: ignore[attr-defined]


def everything(session: Session) -> list[Task]:
    return list(session.scalars(select(Task).order_by(Task.id)))


@dataclass(frozen=True)
class Mine:
    """Whose to-do list: the person, and the department's work for the roles they hold."""

    user_id: int | None
    department_id: int | None
    roles: frozenset[str]


def _mine(who: Mine) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = []
    if who.user_id is not None:
        parts.append(Task.assignee_user_id == who.user_id)
    if who.department_id is not None:
        padded = " " + Task.assignee_roles + " "
        role_match = or_(Task.assignee_roles == "", *(padded.like(f"% {r} %") for r in sorted(who.roles)))
        parts.append(and_(Task.assignee_department_id == who.department_id, Task.assignee_user_id.is_(None),
                          role_match))  # fmt: skip
    return or_(*parts) if parts else false()


@dataclass(frozen=True)
class Filters:
    source: str | None = None
    state: str | None = None
    due: str | None = None  # overdue | today | week
    urgency: str | None = None
    supervised: bool = False


def _filtered(who: Mine, f: Filters, now: datetime, day_end: datetime, week_end: datetime) -> Any:
    q = select(Task).where(Task.status == "open", _mine(who))
    if f.source:
        q = q.where(Task.source == f.source)
    if f.state:
        q = q.where(Task.state_label == f.state)
    if f.urgency:
        q = q.where(Task.urgency == f.urgency)
    if f.supervised:
        q = q.where(Task.supervised)
    if f.due == "overdue":
        q = q.where(or_(Task.overdue, and_(Task.due_at < now, Task.paused.is_(False))))
    elif f.due == "today":
        q = q.where(Task.due_at <= day_end, Task.paused.is_(False))
    elif f.due == "week":
        q = q.where(Task.due_at <= week_end, Task.paused.is_(False))
    return q


def page(session: Session, who: Mine, f: Filters, now: datetime, day_end: datetime, week_end: datetime,
         limit: int, offset: int) -> list[Task]:  # fmt: skip
    """One page of the open tasks, the most urgent deadline first."""
    q = _filtered(who, f, now, day_end, week_end)
    return list(session.scalars(q.order_by(Task.due_at.is_(None), Task.due_at, Task.created_at, Task.id)
                                .limit(limit).offset(offset)))  # fmt: skip


def matching(
    session: Session, who: Mine, f: Filters, now: datetime, day_end: datetime, week_end: datetime
) -> int:
    """How many open tasks the filters match."""
    q = _filtered(who, f, now, day_end, week_end)
    return int(session.scalar(select(func.count()).select_from(q.subquery())) or 0)


def _overdue(now: datetime) -> ColumnElement[bool]:
    return or_(Task.overdue, and_(Task.due_at < now, Task.paused.is_(False)))


def counts(session: Session, who: Mine, now: datetime) -> tuple[int, int, int]:
    """(open, overdue, under 督办) of a member of staff's list, in one pass."""
    row = session.execute(
        select(func.count(), func.sum(case((_overdue(now), 1), else_=0)), func.sum(case((Task.supervised, 1), else_=0)))
        .where(Task.status == "open", _mine(who))
    ).one()  # fmt: skip
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


@dataclass(frozen=True)
class Summary:
    """What the to-do page shows above the list: the counts, and the sources, states and
    urgencies present in it (the filter choices, each sorted by code point)."""

    open: int
    overdue: int
    supervised: int
    sources: list[tuple[str, str]]
    states: list[str]
    urgencies: list[tuple[str, str]]


def summary(session: Session, who: Mine, now: datetime) -> Summary:
    """The counts and the filter choices of a member of staff's list, in one pass over it (a
    department's list may hold thousands of tasks: one scan, not one per figure)."""
    groups = (Task.source, Task.source_label, Task.state_label, Task.urgency, Task.urgency_label)
    rows = session.execute(
        select(*groups, func.count(), func.sum(case((_overdue(now), 1), else_=0)),
               func.sum(case((Task.supervised, 1), else_=0)))
        .where(Task.status == "open", _mine(who)).group_by(*groups)
    ).all()  # fmt: skip
    return Summary(
        sum(int(r[5]) for r in rows), sum(int(r[6] or 0) for r in rows), sum(int(r[7] or 0) for r in rows),
        sorted({(r[0], r[1]) for r in rows}, key=lambda x: (x[1], x[0])), sorted({r[2] for r in rows if r[2]}),
        sorted({(r[3], r[4]) for r in rows}),
    )  # fmt: skip


def open_case_ids(session: Session, who: Mine, source: str, limit: int) -> list[int]:
    """The cases of one source waiting in a member of staff's list, the nearest deadline first."""
    q = (select(Task.case_id).where(Task.status == "open", Task.kind == "case", Task.source == source, _mine(who))
         .order_by(Task.due_at.is_(None), Task.due_at, Task.id).limit(limit))  # fmt: skip
    return [int(c) for c in session.scalars(q) if c is not None]
