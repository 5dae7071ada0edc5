"""督办 (supervision): a leader follows any case with a note and a date by which it must move.
The assignee sees the case marked, the supervisor follows its progress; every change audited
and announced (`supervised`, `supervision_ended`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from yiwang.core import audit
from yiwang.core import workflow_repository as repo
from yiwang.core.actor import SYSTEM, Actor
from yiwang.core.db import utcnow
from yiwang.core.errors import Conflict, NotFound
from yiwang.core.workflow import emit_change, record_step
from yiwang.core.workflow_models import WorkflowCase, WorkflowSupervision


@dataclass(frozen=True)
class SupervisionView:
    id: int
    case_id: int
    supervisor_user_id: int
    supervisor_name: str
    note: str
    due_at: datetime
    created_at: datetime
    ended_at: datetime | None

    @property
    def late(self) -> bool:
        return self.ended_at is None and self.due_at < utcnow()


def _view(s: WorkflowSupervision) -> SupervisionView:
    return SupervisionView(s.id, s.case_id, s.supervisor_user_id, s.supervisor_name, s.note, s.due_at,
                           s.created_at, s.ended_at)  # fmt: skip


def supervise(
    session: Session, actor: Actor, case_id: int, note: str, due_at: datetime, action: str
) -> SupervisionView:
    """Put a case under the actor's supervision (the caller's action authorised it as `action`)."""
    c = repo.case(session, case_id, for_update=True)
    if c is None:
        raise NotFound("案件不存在")
    if c.closed_at is not None:
        raise Conflict("该案件已办结，无需督办")
    if actor.id is not None and any(
        s.supervisor_user_id == actor.id for s in repo.supervisions(session, c.id, True)
    ):
        raise Conflict("您已在督办该案件")
    sup = WorkflowSupervision(case_id=c.id, supervisor_user_id=actor.id or 0, supervisor_name=actor.name,
                              note=note, due_at=due_at, created_at=utcnow())  # fmt: skip
    repo.add(session, sup)
    c.supervised = True
    step = record_step(session, c, actor, "supervision", "supervise", "督办", c.state, comment=note,
                       detail={"supervision": sup.id, "due_at": due_at.isoformat()})  # fmt: skip
    audit.record(session, actor, action, c.subject_type, c.subject_id, purpose=note,
                 detail={"case": c.id, "supervision": sup.id, "due_at": due_at.isoformat()})  # fmt: skip
    emit_change(session, c, "supervised", step)
    return _view(sup)


def end(session: Session, actor: Actor, supervision_id: int, outcome: str, action: str) -> SupervisionView:
    found = repo.supervision(session, supervision_id)
    if found is None:
        raise NotFound("督办不存在")
    c = repo.case(session, found.case_id, for_update=True)  # the case first, as a transition locks
    sup = repo.supervision(session, supervision_id, fresh=True)  # as it is now that the case is ours
    assert c is not None and sup is not None
    if sup.ended_at is not None:
        raise Conflict("该督办已结束")
    sup.ended_at = utcnow()
    c.supervised = bool(repo.supervisions(session, c.id, active_only=True))
    step = record_step(session, c, actor, "supervision", "supervise_end", "结束督办", c.state, comment=outcome,
                       detail={"supervision": sup.id})  # fmt: skip
    audit.record(session, actor, action, c.subject_type, c.subject_id, purpose=outcome,
                 detail={"case": c.id, "supervision": sup.id})  # fmt: skip
    emit_change(session, c, "supervision_ended", step)
    return _view(sup)


def end_all(session: Session, c: WorkflowCase, outcome: str) -> None:
    """A closed case needs no more supervision (inside the closing transition)."""
    active = repo.supervisions(session, c.id, active_only=True)
    for sup in active:
        sup.ended_at = utcnow()
    if active:
        c.supervised = False
        record_step(
            session, c, SYSTEM, "supervision", "supervise_end", "督办随办结结束", c.state, comment=outcome
        )


def of_case(session: Session, case_id: int) -> list[SupervisionView]:
    return [_view(s) for s in repo.supervisions(session, case_id)]


def by_supervisor(session: Session, user_id: int, active_only: bool = True) -> list[SupervisionView]:
    return [_view(s) for s in repo.supervised_by(session, user_id, active_only)]


def by_id(session: Session, supervision_id: int) -> SupervisionView | None:
    s = repo.supervision(session, supervision_id)
    return _view(s) if s else None
