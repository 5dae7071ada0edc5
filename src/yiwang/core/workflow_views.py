"""Read models of cases: what pages, lists and other contexts see of a case, what an actor may
do with it now, and its history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from yiwang.core import authz
from yiwang.core import workflow_repository as repo
from yiwang.core.actor import Actor
from yiwang.core.db import utcnow
from yiwang.core.errors import NotFound
from yiwang.core.workflow_models import WorkflowCase, WorkflowStep, WorkflowTimer
from yiwang.core.workflow_registry import TransitionTarget, definition_of
from yiwang.core.workflow_spec import Facts, Party

# --- views ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseView:
    id: int
    definition_id: int
    code: str
    version: int
    definition_name: str
    subject_label: str
    subject_type: str
    subject_id: str
    title: str
    url: str
    region_code: str
    urgency: str
    urgency_label: str
    parties: dict[str, Party]
    state: str
    state_label: str
    state_kind: str
    revision: int
    changes: int
    assignee_user_id: int | None
    assignee_department_id: int | None
    assignee_roles: tuple[str, ...]
    clock_unit: str | None
    due_at: datetime | None
    due_provisional: bool
    warn_at: datetime | None
    overdue_at: datetime | None
    escalation_level: int
    escalated_at: datetime | None
    paused_at: datetime | None
    paused_seconds: float
    supervised: bool
    created_at: datetime
    closed_at: datetime | None

    @property
    def open(self) -> bool:
        return self.closed_at is None

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def overdue(self, now: datetime | None = None) -> bool:
        if not self.open or self.paused or self.due_at is None:
            return False
        return self.overdue_at is not None or self.due_at < (now or utcnow())

    def facts(self, supervisors: frozenset[int] = frozenset()) -> Facts:
        return Facts(self.id, self.state, self.region_code, self.parties, self.assignee_user_id,
                     self.assignee_department_id, self.assignee_roles, supervisors)  # fmt: skip


def _parties(raw: dict[str, Any]) -> dict[str, Party]:
    return {k: Party(**v) for k, v in raw.items()}


def view(session: Session, c: WorkflowCase) -> CaseView:
    spec = definition_of(session, c.definition_id)
    state = spec.states[c.state]
    return CaseView(
        id=c.id, definition_id=c.definition_id, code=c.code, version=c.version, definition_name=spec.name, subject_label=spec.subject.label,
        subject_type=c.subject_type, subject_id=c.subject_id, title=c.title, url=c.url, region_code=c.region_code,
        urgency=c.urgency, urgency_label=spec.urgencies.get(c.urgency, c.urgency), parties=_parties(c.parties),
        state=c.state, state_label=state.label, state_kind=state.kind, revision=c.revision, changes=c.changes,
        assignee_user_id=c.assignee_user_id, assignee_department_id=c.assignee_department_id,
        assignee_roles=tuple(c.assignee_roles.split()), clock_unit=c.clock_unit, due_at=c.due_at,
        due_provisional=c.due_provisional, warn_at=c.warn_at, overdue_at=c.overdue_at,
        escalation_level=c.escalation_level, escalated_at=c.escalated_at, paused_at=c.paused_at,
        paused_seconds=c.paused_seconds, supervised=c.supervised, created_at=c.created_at, closed_at=c.closed_at,
    )  # fmt: skip


def case(session: Session, case_id: int) -> CaseView:
    c = repo.case(session, case_id)
    if c is None:
        raise NotFound("案件不存在")
    return view(session, c)


def case_of(session: Session, subject_type: str, subject_id: object) -> CaseView | None:
    c = repo.case_of(session, subject_type, str(subject_id))
    return view(session, c) if c else None


def cases_of(session: Session, subject_type: str, subject_ids: list[object]) -> dict[str, CaseView]:
    return {
        c.subject_id: view(session, c)
        for c in repo.cases_of(session, subject_type, [str(i) for i in subject_ids])
    }


def cases(session: Session, case_ids: list[int]) -> dict[int, CaseView]:
    return {c.id: view(session, c) for c in repo.cases(session, case_ids)}


def open_cases(session: Session, code: str, overdue_only: bool = False) -> list[CaseView]:
    return [view(session, c) for c in repo.open_cases(session, code, utcnow(), overdue_only)]


# --- what an actor may do ---------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    code: str
    label: str
    requires: tuple[str, ...]
    in_place: bool
    style: str


def choices(
    session: Session, actor: Actor, v: CaseView, supervisors: frozenset[int] = frozenset()
) -> list[Choice]:
    """The transitions this actor may take on the case now (for buttons and forms)."""
    spec = definition_of(session, v.definition_id)
    facts = v.facts(supervisors)
    out = []
    for code, t in spec.transitions.items():
        if v.state not in t.from_ or any(r.system for r in t.by):
            continue
        if authz.decide(actor, spec.action(code), TransitionTarget(None, spec, code, facts)):
            out.append(Choice(code, t.label, t.requires, t.in_place, t.style))
    return out


def timeline(session: Session, case_id: int) -> list[WorkflowStep]:
    return repo.steps(session, case_id)


def pending_timers(session: Session, case_id: int) -> list[WorkflowTimer]:
    return repo.timers(session, case_id)


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a case's timeline, with the states named as people read them."""

    at: datetime
    kind: str  # start | transition | warning | overdue | escalation | supervision
    code: str
    label: str
    actor_name: str
    on_behalf_of: str | None
    comment: str | None
    from_label: str | None
    to_label: str
    detail: dict[str, Any]


def history(session: Session, case_id: int) -> list[HistoryEntry]:
    c = repo.case(session, case_id)
    if c is None:
        raise NotFound("案件不存在")
    states = definition_of(session, c.definition_id).states
    name = {k: s.label for k, s in states.items()}
    return [
        HistoryEntry(
            st.at,
            st.kind,
            st.code,
            st.label,
            st.actor_name or ("系统" if st.actor.startswith("system") else ""),
            st.on_behalf_of,
            st.comment,
            name.get(st.from_state or "", None),
            name.get(st.to_state, st.to_state),
            st.detail or {},
        )
        for st in repo.steps(session, case_id)
    ]
