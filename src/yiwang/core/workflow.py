"""The workflow engine: cases as data, one engine for every context.

A context registers its definition file at import (`register`), starts a case for each of
its business objects (`start`) and moves it with transitions (`target` then `fire`, or
`transition`). A transition is one action in the caller's transaction: the case row is locked
(`SELECT … FOR UPDATE` on PostgreSQL), a stale form is refused (409), the state and who may
take it are checked against the definition through `authz.check`, the required inputs are
checked, then the history row, the new state with its assignee and deadline, the due-time
rows, the owning context's own changes (its hook), one audit record and the event (the case's
snapshot, `core/workflow_events.py`) are written together. Deadlines, pauses and timers are in
`workflow_clock.py` / `workflow_timers.py`; 督办 in `workflow_supervision.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from yiwang.core import audit, authz, events
from yiwang.core import workflow_repository as repo
from yiwang.core.actor import Actor
from yiwang.core.db import utcnow
from yiwang.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from yiwang.core.workflow_clock import add, resumed, timers
from yiwang.core.workflow_events import CaseAssignee, CaseEscalation, CaseEvent, CaseParty
from yiwang.core.workflow_models import WorkflowCase, WorkflowStep, WorkflowTimer
from yiwang.core.workflow_registry import (
    Hook,
    TransitionTarget,
    definition_of,
    hook_of,
    register,
    registered,
    registered_codes,
    stored_definition,
    version_spec,
    versions,
)
from yiwang.core.workflow_spec import Definition, Duration, Facts, Party, Transition
from yiwang.core.workflow_views import (
    CaseView,
    Choice,
    HistoryEntry,
    _parties,
    case,
    case_of,
    cases,
    cases_of,
    choices,
    history,
    open_cases,
    pending_timers,
    timeline,
    view,
)

__all__ = [
    "CaseView", "Choice", "HistoryEntry", "Hook", "TransitionTarget", "case", "case_of", "cases", "cases_of",
    "choices", "definition_of", "emit_change", "fire", "history", "open_cases", "pending_timers", "record_step",
    "register", "registered", "registered_codes", "start", "stored_definition", "target", "timeline",
    "transition", "version_spec", "versions", "view",
]  # fmt: skip

MAX_COMMENT = 2000


# --- snapshots and events ---------------------------------------------------------------------


def _assignee_of(
    spec: Definition, parties: dict[str, Party], state: str
) -> tuple[int | None, int | None, tuple[str, ...]]:
    a = spec.states[state].assignee
    if a is None:
        return None, None, ()
    p = parties.get(a.party, Party())
    return (p.user_id if p.department_id is None else None), p.department_id, a.roles


def _escalated_to(spec: Definition, c: WorkflowCase) -> list[CaseEscalation]:
    parties = _parties(c.parties)
    out = []
    for e in spec.states[c.state].escalations:
        if e.level <= c.escalation_level and e.to is not None and c.closed_at is None:
            p = parties.get(e.to.party, Party())
            out.append(CaseEscalation(level=e.level, label=e.label, assignee=CaseAssignee(
                user_id=p.user_id if p.department_id is None else None, department_id=p.department_id,
                roles=list(e.to.roles))))  # fmt: skip
    return out


def _emit(session: Session, spec: Definition, c: WorkflowCase, verb: str, step: WorkflowStep) -> None:
    sups = (
        sorted({s.supervisor_user_id for s in repo.supervisions(session, c.id, active_only=True)})
        if c.supervised
        else []
    )
    state = spec.states[c.state]
    assignee = None
    if c.closed_at is None and (c.assignee_user_id or c.assignee_department_id):
        assignee = CaseAssignee(user_id=c.assignee_user_id, department_id=c.assignee_department_id,
                                roles=c.assignee_roles.split())  # fmt: skip
    data = CaseEvent(
        case_id=c.id, definition=c.code, version=c.version, subject_type=c.subject_type, subject_id=c.subject_id,
        subject_label=spec.subject.label, title=c.title, url=c.url, region_code=c.region_code, urgency=c.urgency,
        urgency_label=spec.urgencies.get(c.urgency, c.urgency), state=c.state, state_label=state.label,
        state_kind=state.kind, step=step.code, step_label=step.label, from_state=step.from_state, actor=step.actor,
        actor_name=step.actor_name, on_behalf_of=step.on_behalf_of, comment=step.comment, assignee=assignee,
        escalated_to=_escalated_to(spec, c), parties={k: CaseParty(**v) for k, v in c.parties.items()},
        due_at=c.due_at, due_provisional=c.due_provisional, paused=c.paused_at is not None,
        overdue=c.overdue_at is not None, escalation_level=c.escalation_level, supervised=c.supervised,
        supervisors=sups, revision=c.revision, changes=c.changes, closed=c.closed_at is not None,
    )  # fmt: skip
    events.emit(session, spec.event_type(verb), f"{spec.subject.entity}/{c.subject_id}", data)


def record_step(session: Session, c: WorkflowCase, actor: Actor, kind: str, code: str, label: str,
                from_state: str | None, *, comment: str | None = None, attachments: list[Any] | None = None,
                detail: dict[str, Any] | None = None) -> WorkflowStep:  # fmt: skip
    """One history row; the case's `changes` counter orders them."""
    c.changes += 1
    step = WorkflowStep(case_id=c.id, seq=c.changes, kind=kind, code=code, label=label, from_state=from_state,
                        to_state=c.state, actor=actor.label, actor_name=actor.name, on_behalf_of=actor.on_behalf_of,
                        at=utcnow(), comment=comment, attachments=attachments, detail=detail)  # fmt: skip
    repo.add(session, step)
    return step


def emit_change(session: Session, c: WorkflowCase, verb: str, step: WorkflowStep) -> None:
    _emit(session, definition_of(session, c.definition_id), c, verb, step)


# --- entering a state: assignee, clock, timers ------------------------------------------------


def _enter(session: Session, spec: Definition, c: WorkflowCase, state: str, now: datetime,
           assignee: tuple[int | None, int | None, tuple[str, ...]] | None) -> dict[str, Any]:  # fmt: skip
    """Put the case into `state`; returns what changed about its deadline (for the history)."""
    s = spec.states[state]
    # a self-loop with its clock running (a note, a claim): the state's timers stand as they are
    keeps_timers = c.state == state and c.clock == spec.clock_of(state) and c.due_at is not None \
        and c.paused_at is None and s.runs  # fmt: skip
    c.state, c.state_entered_at = state, now
    before = c.due_at
    if s.kind == "terminal":
        c.closed_at, c.paused_at = now, None
        c.assignee_user_id, c.assignee_department_id, c.assignee_roles = None, None, ""
        repo.clear_timers(session, c.id)
        return {}
    if assignee is not None:
        c.assignee_user_id, c.assignee_department_id = assignee[0], assignee[1]
        c.assignee_roles = " ".join(assignee[2])
    if keeps_timers:
        return {}
    repo.clear_timers(session, c.id)
    if s.kind == "paused":
        if c.clock is not None and c.paused_at is None:
            c.paused_at = now
        return {"paused": True}
    change: dict[str, Any] = {}
    clock = spec.clock_of(state)
    override = c.deadlines.get(clock)
    duration = spec.deadline(state, c.urgency, Duration.model_validate(override) if override else None)
    if duration is None:
        c.clock = c.clock_unit = c.clock_started_at = c.due_at = c.warn_at = None
        c.paused_at = None
        return {}
    if c.clock == clock and c.due_at is not None:
        if c.paused_at is not None:  # the same clock resumes: the due time moves by the pause
            moved = resumed(c.due_at, c.clock_unit or duration.unit, c.paused_at, now)
            c.paused_seconds += (now - c.paused_at).total_seconds()
            c.due_at, c.due_provisional, c.paused_at = (
                moved.due_at,
                c.due_provisional or moved.provisional,
                None,
            )
            _clock_moved(c, now)
            change = {"resumed": True, "due_before": before.isoformat() if before else None}
    else:  # a new clock starts
        deadline = add(now, duration)
        c.clock, c.clock_unit, c.clock_started_at = clock, duration.unit, now
        c.due_at, c.due_provisional, c.paused_at = deadline.due_at, deadline.provisional, None
        c.warned_at = c.overdue_at = c.escalated_at = None
        c.escalation_level = 0
        change = {"deadline": duration.label()}
    _plan_timers(session, spec, c)
    return change


def _clock_moved(c: WorkflowCase, now: datetime) -> None:
    """A due time moved into the future (a pause ended, an extension granted): the case is not
    overdue any more, its escalation is over, and its warning comes again before the new due time."""
    if c.due_at is not None and c.due_at > now:
        c.overdue_at = c.escalated_at = c.warned_at = None
        c.escalation_level = 0


def _plan_timers(session: Session, spec: Definition, c: WorkflowCase) -> None:
    """The due-time rows of the running clock, from its due time as it now stands."""
    assert c.due_at is not None
    plan = timers(spec.states[c.state], c.due_at, c.warned_at is not None, c.overdue_at is not None,
                  c.escalation_level)  # fmt: skip
    c.warn_at = next((d.at for d in plan if d.kind == "warning"), None)
    repo.add_all(
        session, [WorkflowTimer(case_id=c.id, kind=d.kind, level=d.level, due_at=d.at) for d in plan]
    )


def _extend(
    session: Session, spec: Definition, c: WorkflowCase, by: Duration, now: datetime
) -> dict[str, Any]:
    """延期: a longer deadline granted; the clock keeps running (or stays paused) on the new one."""
    if c.due_at is None or c.closed_at is not None:
        return {}
    before = c.due_at
    moved = add(c.due_at, by)
    c.due_at, c.due_provisional = moved.due_at, c.due_provisional or moved.provisional
    _clock_moved(c, now)
    if c.paused_at is None and spec.states[c.state].deadline is not None:
        repo.clear_timers(session, c.id)
        _plan_timers(session, spec, c)
    return {"extended": by.label(), "due_before": before.isoformat()}


# --- starting and moving cases ----------------------------------------------------------------


def start(session: Session, actor: Actor, code: str, *, subject_type: str, subject_id: object, title: str,
          url: str, parties: dict[str, Party], region_code: str, urgency: str = "normal",
          deadlines: dict[str, Duration] | None = None, comment: str | None = None) -> CaseView:  # fmt: skip
    """Open a case for a business object in its definition's initial state (the context's own
    action authorised and audited the object's creation)."""
    spec = registered(code)
    if urgency not in spec.urgencies:
        raise ValidationFailed("紧急程度不正确", [FieldError("urgency", "取值不在允许范围内", "enum")])
    row = stored_definition(session, code)
    now = utcnow()
    c = WorkflowCase(
        definition_id=row.id, code=code, version=row.version, subject_type=subject_type, subject_id=str(subject_id),
        title=title[:200], url=url, region_code=region_code, urgency=urgency,
        parties={k: p.as_dict() for k, p in parties.items()},
        deadlines={k: d.model_dump(exclude_none=True) for k, d in (deadlines or {}).items()},
        state=spec.initial, state_entered_at=now, revision=0, changes=0, assignee_roles="", due_provisional=False,
        escalation_level=0, paused_seconds=0.0, supervised=False, created_at=now,
    )  # fmt: skip
    repo.add(session, c)
    change = _enter(session, spec, c, spec.initial, now, _assignee_of(spec, parties, spec.initial))
    step = record_step(
        session, c, actor, "start", "start", "提交", None, comment=comment, detail=change or None
    )
    _emit(session, spec, c, "created", step)
    return view(session, c)


def target(
    session: Session, case_id: int, code: str, expected_revision: int | None = None
) -> TransitionTarget:
    """The case as it stands and the transition asked for, for the caller's `authz.check`: who
    has no part in the case is refused before anything about its state is told. `fire` then
    locks the case and checks the transition fits it (409) and the actor again."""
    c = repo.case(session, case_id)
    if c is None:
        raise NotFound("案件不存在")
    spec = definition_of(session, c.definition_id)
    if code not in spec.transitions:
        raise NotFound(f"{spec.subject.label}没有这项操作")
    return TransitionTarget(c, spec, code, _facts(session, c), expected_revision)


def _facts(session: Session, c: WorkflowCase) -> Facts:
    active = repo.supervisions(session, c.id, active_only=True) if c.supervised else []
    return view(session, c).facts(frozenset(s.supervisor_user_id for s in active))


def _locked(session: Session, t: TransitionTarget) -> TransitionTarget:
    """The case locked (`SELECT … FOR UPDATE`), and the transition checked against it as it is now."""
    assert t.case is not None, "fire() takes the target that target() made"
    c = repo.case(session, t.case.id, for_update=True)
    assert c is not None
    spec = t.spec
    if t.expected_revision is not None and t.expected_revision != c.revision:
        raise Conflict(
            f"该{spec.subject.label}已被他人处理（当前环节：{spec.states[c.state].label}），请刷新页面后重试"
        )
    tr = spec.transitions[t.code]
    if c.state not in tr.from_:
        raise Conflict(f"该{spec.subject.label}当前环节为「{spec.states[c.state].label}」，不能{tr.label}")
    return TransitionTarget(c, spec, t.code, _facts(session, c), t.expected_revision)


def _inputs(t: Transition, comment: str | None, reason: str | None, attachments: list[Any] | None) -> None:
    errors = []
    given = {"comment": comment, "reason": reason, "attachments": attachments}
    for name in t.requires:
        value = given[name]
        if not value or (isinstance(value, str) and len(value.strip()) < 2):
            errors.append(FieldError(name, {"comment": "请填写意见", "reason": "请填写理由（至少 2 个字）",
                                            "attachments": "请上传附件"}[name], "missing"))  # fmt: skip
    for name in ("comment", "reason"):
        value = given[name]
        if isinstance(value, str) and len(value) > MAX_COMMENT:
            errors.append(FieldError(name, f"不能超过 {MAX_COMMENT} 个字", "string_too_long"))
    if errors:
        raise ValidationFailed("请补全必填内容", errors)


def fire(session: Session, actor: Actor, t: TransitionTarget, *, comment: str | None = None,
         reason: str | None = None, attachments: list[Any] | None = None,
         assignee: Party | None = None, roles: tuple[str, ...] = (), data: dict[str, Any] | None = None) -> CaseView:  # fmt: skip
    """Take the transition (after `target`): checks, history, state, deadline, hook, audit, event."""
    authz.check(actor, t.action, t)  # who the actor is to the case, before it is locked
    t = _locked(session, t)
    authz.check(actor, t.action, t)  # and to the case as it is now
    tr = t.transition
    _inputs(tr, comment, reason, attachments)
    c, spec, now = t.case, t.spec, utcnow()
    assert c is not None
    if tr.assign == "input" and (
        assignee is None or (assignee.department_id is None and assignee.user_id is None)
    ):
        raise ValidationFailed(
            "请选择办理部门或办理人", [FieldError("assignee", "请选择办理部门或办理人", "missing")]
        )
    who: tuple[int | None, int | None, tuple[str, ...]] | None = {
        "state": lambda: _assignee_of(spec, _parties(c.parties), tr.to),
        "actor": lambda: (actor.id, actor.department_id, ()),
        "input": lambda: (assignee.user_id, assignee.department_id, roles) if assignee else None,
        "keep": lambda: None,
    }[tr.assign]()
    from_state = c.state
    c.revision += 1
    change = _enter(session, spec, c, tr.to, now, who)
    if tr.extend is not None:
        change.update(_extend(session, spec, c, tr.extend, now))
    text = comment if comment is not None else reason
    step = record_step(session, c, actor, "transition", t.code, tr.label, from_state, comment=text,
                       attachments=attachments, detail=change or None)  # fmt: skip
    if c.closed_at is not None:
        from yiwang.core.workflow_supervision import end_all

        end_all(session, c, "案件已办结")
    hook = hook_of(c.code)
    result = view(session, c)
    inputs: dict[str, Any] = {"comment": comment, "reason": reason, **(data or {})}
    if hook is not None:  # the owning context's changes; it may add to the audit record ("audit")
        hook(session, actor, result, t.code, inputs)
    audit.record(session, actor, t.action, c.subject_type, c.subject_id, purpose=reason,
                 detail={"case": c.id, "transition": t.code, "from": from_state, "to": c.state, "comment": comment,
                         **({"due_at": c.due_at.isoformat()} if c.due_at else {}), **inputs.get("audit", {})})  # fmt: skip
    _emit(session, spec, c, tr.event or t.code, step)
    return result


def transition(session: Session, actor: Actor, case_id: int, code: str, expected_revision: int | None = None,
               **inputs: Any) -> CaseView:  # fmt: skip
    return fire(session, actor, target(session, case_id, code, expected_revision), **inputs)
