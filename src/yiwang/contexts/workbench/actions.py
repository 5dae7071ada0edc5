"""Use cases of the to-do list and of cases seen from the workbench. Each starts with authz.check."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from yiwang.contexts.workbench import repository as repo
from yiwang.contexts.workbench.models import Task
from yiwang.contexts.workbench.policies import InPlace, SupervisionTarget
from yiwang.core import authz, workflow
from yiwang.core import workflow_supervision as supervision
from yiwang.core.actor import Actor
from yiwang.core.db import utcnow
from yiwang.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from yiwang.core.workdays import SHANGHAI, local_day

PAGE_SIZE = 50


def _mine(actor: Actor) -> repo.Mine:
    return repo.Mine(actor.id, actor.department_id, actor.roles)


@dataclass(frozen=True)
class Counts:
    open: int
    overdue: int
    supervised: int


def todo_counts(session: Session, actor: Actor) -> Counts:
    """What the navigation and the home page show: my open, overdue and supervised tasks."""
    authz.check(actor, "workbench.todo_read", None)
    return Counts(*repo.counts(session, _mine(actor), utcnow()))


def todo_cases(session: Session, actor: Actor, source: str, limit: int = 500) -> list[int]:
    """The cases of one process (a definition's code) waiting for me: another context's view of
    its own work in my list (the exchange's 待我审批)."""
    authz.check(actor, "workbench.todo_read", None)
    return repo.open_case_ids(session, _mine(actor), source, limit)


@dataclass(frozen=True)
class Row:
    task: Task
    choices: list[workflow.Choice]  # what I may do in place, now
    revision: int | None


@dataclass
class TodoPage:
    rows: list[Row]
    total: int
    page: int
    pages: int
    counts: Counts
    sources: list[tuple[str, str]]
    states: list[str]
    urgencies: list[tuple[str, str]]
    filters: repo.Filters
    now: datetime = field(default_factory=utcnow)


def _day_end(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)


def todo_page(session: Session, actor: Actor, filters: repo.Filters, page: int = 1) -> TodoPage:
    """One page of my to-do list, filtered, the nearest deadline first, with the transitions I
    may take on each case right here."""
    authz.check(actor, "workbench.todo_read", None)
    who, now = _mine(actor), utcnow()
    today = local_day(now)
    page = max(page, 1)
    day_end, week_end = _day_end(today), _day_end(today + timedelta(days=7))
    rows = repo.page(session, who, filters, now, day_end, week_end, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    case_views = workflow.cases(
        session, [t.case_id for t in rows if t.case_id is not None and t.kind == "case"]
    )
    out = []
    for t in rows:
        v = case_views.get(t.case_id or 0) if t.kind == "case" else None
        out.append(Row(t, [c for c in workflow.choices(session, actor, v) if c.in_place] if v else [],
                       v.revision if v else None))  # fmt: skip
    summary = repo.summary(session, who, now)
    unfiltered = filters == repo.Filters()  # the list is all of them: no second pass to count it
    total = summary.open if unfiltered else repo.matching(session, who, filters, now, day_end, week_end)
    return TodoPage(out, total, page, max(1, -(-total // PAGE_SIZE)),
                    Counts(summary.open, summary.overdue, summary.supervised), summary.sources, summary.states,
                    summary.urgencies, filters, now)  # fmt: skip


@dataclass(frozen=True)
class CasePage:
    case: workflow.CaseView
    history: list[workflow.HistoryEntry]
    timers: list[tuple[str, datetime]]  # what is due next, as people read it
    supervisions: list[supervision.SupervisionView]
    choices: list[workflow.Choice]
    can_supervise: bool
    definition_name: str
    parties: list[tuple[str, str]]  # (what the party is, its name), as the definition names them


_TIMER_ZH = {"warning": "临近期限预警", "overdue": "超过办理期限", "escalation": "超期升级督办"}


def case_page(session: Session, actor: Actor, case_id: int) -> CasePage:
    """A case as the workbench shows it: state, deadline, what is due next, timeline, 督办."""
    v = workflow.case(session, case_id)
    sups = supervision.of_case(session, case_id)
    facts = v.facts(frozenset(s.supervisor_user_id for s in sups if s.ended_at is None))
    authz.check(actor, "workbench.case_read", facts)
    timers = [(_TIMER_ZH.get(t.kind, t.kind) + (f"（第 {t.level} 级）" if t.level else ""), t.due_at)
              for t in workflow.pending_timers(session, case_id)]  # fmt: skip
    labels = workflow.definition_of(session, v.definition_id).parties
    parties = [(labels.get(k, k), p.name) for k, p in v.parties.items() if p.name]
    return CasePage(v, workflow.history(session, case_id), timers, sups, workflow.choices(session, actor, v, facts.supervisors),
                    bool(v.open and authz.decide(actor, "workbench.case_supervise", facts)), v.definition_name,
                    parties)  # fmt: skip


def case_transition(session: Session, actor: Actor, case_id: int, code: str, revision: int | None,
                    comment: str | None = None, reason: str | None = None) -> workflow.CaseView:  # fmt: skip
    """A transition taken in place (from the to-do list or the case page); those that need the
    context's own page (choosing masked fields, say) are refused here."""
    target = workflow.target(session, case_id, code, revision)
    authz.check(actor, "workbench.case_transition", InPlace(target, target.transition.in_place))
    return workflow.fire(session, actor, target, comment=comment or None, reason=reason or None)


def case_supervise(
    session: Session, actor: Actor, case_id: int, note: str, due_on: date
) -> supervision.SupervisionView:
    """督办: follow a case with a note and the date by which it must move."""
    v = workflow.case(session, case_id)
    authz.check(actor, "workbench.case_supervise", v.facts())
    errors = []
    if len(note.strip()) < 4:
        errors.append(FieldError("note", "请写明督办要求（至少 4 个字）", "string_too_short"))
    if due_on < local_day(utcnow()):
        errors.append(FieldError("due_on", "督办期限不能早于今天", "in_past"))
    if errors:
        raise ValidationFailed("请补全督办内容", errors)
    return supervision.supervise(
        session, actor, case_id, note.strip(), _day_end(due_on), "workbench.case_supervise"
    )


def supervision_end(
    session: Session, actor: Actor, supervision_id: int, outcome: str
) -> supervision.SupervisionView:
    sup = supervision.by_id(session, supervision_id)
    authz.check(actor, "workbench.supervision_end", SupervisionTarget(sup.supervisor_user_id if sup else -1))
    if sup is None:
        raise NotFound("督办不存在")
    if sup.ended_at is not None:
        raise Conflict("该督办已结束")
    return supervision.end(
        session, actor, supervision_id, outcome.strip() or "督办结束", "workbench.supervision_end"
    )


@dataclass(frozen=True)
class Supervised:
    supervision: supervision.SupervisionView
    case: workflow.CaseView


def supervision_list(session: Session, actor: Actor) -> list[Supervised]:
    """The cases I supervise, with where each stands now."""
    authz.check(actor, "workbench.supervision_list", None)
    mine = supervision.by_supervisor(session, actor.id or 0)
    views = workflow.cases(session, [s.case_id for s in mine])
    return [Supervised(s, views[s.case_id]) for s in mine if s.case_id in views]
