"""SQL of the workflow engine."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiwang.core.workflow_models import (
    WorkflowCase,
    WorkflowDefinition,
    WorkflowStep,
    WorkflowSupervision,
    WorkflowTimer,
)


def add(session: Session, obj: object) -> None:
    session.add(obj)
    session.flush()


def add_all(session: Session, objs: Sequence[object]) -> None:
    session.add_all(objs)
    session.flush()


def add_definition(session: Session, row: WorkflowDefinition) -> bool:
    """Store a new version; False when another process stored that version number first."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def definition(session: Session, definition_id: int) -> WorkflowDefinition | None:
    return session.get(WorkflowDefinition, definition_id)


def definition_version(session: Session, code: str, checksum: str) -> WorkflowDefinition | None:
    return session.scalar(select(WorkflowDefinition).where(WorkflowDefinition.code == code,
                                                           WorkflowDefinition.checksum == checksum))  # fmt: skip


def definitions(session: Session, code: str) -> list[WorkflowDefinition]:
    q = select(WorkflowDefinition).where(WorkflowDefinition.code == code).order_by(WorkflowDefinition.version)
    return list(session.scalars(q))


def latest_version(session: Session, code: str) -> int:
    return int(
        session.scalar(select(func.max(WorkflowDefinition.version)).where(WorkflowDefinition.code == code))
        or 0
    )


def case(
    session: Session, case_id: int, for_update: bool = False, skip_locked: bool = False
) -> WorkflowCase | None:
    if not for_update:
        return session.get(WorkflowCase, case_id)
    q = select(WorkflowCase).where(WorkflowCase.id == case_id).with_for_update(skip_locked=skip_locked)
    return session.scalar(q.execution_options(populate_existing=True))


def cases(session: Session, case_ids: Sequence[int]) -> list[WorkflowCase]:
    if not case_ids:
        return []
    return list(session.scalars(select(WorkflowCase).where(WorkflowCase.id.in_(case_ids))))


def case_of(session: Session, subject_type: str, subject_id: str) -> WorkflowCase | None:
    return session.scalar(select(WorkflowCase).where(WorkflowCase.subject_type == subject_type,
                                                     WorkflowCase.subject_id == subject_id))  # fmt: skip


def cases_of(session: Session, subject_type: str, subject_ids: Sequence[str]) -> list[WorkflowCase]:
    if not subject_ids:
        return []
    q = select(WorkflowCase).where(
        WorkflowCase.subject_type == subject_type, WorkflowCase.subject_id.in_(subject_ids)
    )
    return list(session.scalars(q))


def open_cases(session: Session, code: str, now: datetime, overdue_only: bool = False,
               limit: int = 1000) -> list[WorkflowCase]:  # fmt: skip
    q = select(WorkflowCase).where(WorkflowCase.code == code, WorkflowCase.closed_at.is_(None))
    if overdue_only:  # past due and the clock running (the timer may not have fired yet)
        q = q.where(WorkflowCase.paused_at.is_(None),
                    or_(WorkflowCase.overdue_at.is_not(None), WorkflowCase.due_at < now))  # fmt: skip
    return list(session.scalars(q.order_by(WorkflowCase.due_at).limit(limit)))


def steps(session: Session, case_id: int) -> list[WorkflowStep]:
    return list(
        session.scalars(
            select(WorkflowStep).where(WorkflowStep.case_id == case_id).order_by(WorkflowStep.seq)
        )
    )


def clear_timers(session: Session, case_id: int) -> None:
    session.execute(delete(WorkflowTimer).where(WorkflowTimer.case_id == case_id))


def timers(session: Session, case_id: int) -> list[WorkflowTimer]:
    return list(
        session.scalars(
            select(WorkflowTimer).where(WorkflowTimer.case_id == case_id).order_by(WorkflowTimer.due_at)
        )
    )


def due_timers(session: Session, now: datetime, limit: int) -> list[tuple[int, int]]:
    """(timer id, case id) of timers due by `now`, earliest first."""
    q = select(WorkflowTimer.id, WorkflowTimer.case_id).where(WorkflowTimer.due_at <= now)
    return [(int(r[0]), int(r[1])) for r in session.execute(q.order_by(WorkflowTimer.due_at).limit(limit))]


def timer(session: Session, timer_id: int) -> WorkflowTimer | None:
    return session.get(WorkflowTimer, timer_id)


def delete_timer(session: Session, t: WorkflowTimer) -> None:
    session.delete(t)
    session.flush()


def supervisions(session: Session, case_id: int, active_only: bool = False) -> list[WorkflowSupervision]:
    q = select(WorkflowSupervision).where(WorkflowSupervision.case_id == case_id)
    if active_only:
        q = q.where(WorkflowSupervision.ended_at.is_(None))
    return list(session.scalars(q.order_by(WorkflowSupervision.id)))


def supervision(session: Session, supervision_id: int, fresh: bool = False) -> WorkflowSupervision | None:
    """`fresh`: read again from the database (after taking the case's lock)."""
    if not fresh:
        return session.get(WorkflowSupervision, supervision_id)
    q = select(WorkflowSupervision).where(WorkflowSupervision.id == supervision_id)
    return session.scalar(q.execution_options(populate_existing=True))


def supervised_by(
    session: Session, user_id: int, active_only: bool = True, limit: int = 500
) -> list[WorkflowSupervision]:
    q = select(WorkflowSupervision).where(WorkflowSupervision.supervisor_user_id == user_id)
    if active_only:
        q = q.where(WorkflowSupervision.ended_at.is_(None))
    return list(session.scalars(q.order_by(WorkflowSupervision.due_at).limit(limit)))
