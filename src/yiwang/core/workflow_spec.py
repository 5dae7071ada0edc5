"""Workflow definitions as data: the schema of a definition file, its validation, and the pure
rules that decide who may take a transition.

A definition (YAML, one file per process, owned by the context whose cases it runs) names
its states (initial, active, paused, terminal), each with who works on it, its deadline (N
working days, N working hours or N natural hours, optionally by urgency), when a warning
fires and what happens when it is overdue; and its transitions: from which states to which,
who may take it, what must be given (a comment, a reason, attachments). `load` validates it
completely; an invalid file fails at start-up with the offending key, never at a citizen's
click.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from yiwang.core.actor import Actor
from yiwang.core.codes import region_covers

_CODE = r"^[a-z][a-z0-9_]*$"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Duration(_Spec):
    """Exactly one of: working days (the end of the N-th working day after the start's date),
    working hours (office hours of working days), natural hours."""

    working_days: int | None = Field(None, ge=0, le=3650)
    working_hours: float | None = Field(None, ge=0, le=87_600)
    hours: float | None = Field(None, ge=0, le=87_600)

    @model_validator(mode="after")
    def _one_unit(self) -> Duration:
        if sum(v is not None for v in (self.working_days, self.working_hours, self.hours)) != 1:
            raise ValueError("a duration has exactly one of working_days, working_hours, hours")
        return self

    @property
    def unit(self) -> str:
        return (
            "working_days"
            if self.working_days is not None
            else "working_hours"
            if self.working_hours is not None
            else "hours"
        )

    @property
    def amount(self) -> float:
        return float(
            self.working_days if self.working_days is not None else self.working_hours or self.hours or 0
        )

    def label(self) -> str:
        amount = f"{self.amount:g}"
        return {
            "working_days": f"{amount} 个工作日",
            "working_hours": f"{amount} 个工作小时",
            "hours": f"{amount} 小时",
        }[self.unit]


class Assignee(_Spec):
    """Who works on a state: a party of the case (its department, or its person), optionally
    only members with one of the roles."""

    party: str = Field(pattern=_CODE)
    roles: tuple[str, ...] = ()


class Escalation(_Spec):
    after: Duration = Duration(hours=0)  # after the due time
    level: int = Field(ge=1, le=9)
    label: str = Field(min_length=2, max_length=60)
    to: Assignee | None = None  # who must now follow it (a to-do of their own)


class State(_Spec):
    label: str = Field(min_length=1, max_length=30)
    kind: Literal["initial", "active", "paused", "terminal"] = "active"
    assignee: Assignee | None = None
    deadline: Duration | None = None
    by_urgency: dict[str, Duration] = {}
    clock: str | None = Field(None, pattern=_CODE)  # states that share a clock continue it
    warn_before: Duration | None = None
    escalations: tuple[Escalation, ...] = ()

    @property
    def runs(self) -> bool:
        return self.kind in ("initial", "active")


class Rule(_Spec):
    """One way to be allowed to take a transition; any matching rule allows it."""

    party: str | None = Field(None, pattern=_CODE)  # a member of that party (department or person)
    roles: tuple[str, ...] = ()  # ... holding one of these roles (with party or assignee)
    assignee: bool = False  # the case's assignee: the person, or a member of its department and roles
    role: str | None = None  # anyone with this role within the case's region
    rule: str | None = None  # a named rule registered by the owning context
    system: bool = False  # only the system itself (jobs, automatic decisions)
    clients: bool = True  # with party or assignee: whether the department's own API clients count

    @model_validator(mode="after")
    def _one_kind(self) -> Rule:
        kinds = [
            self.party is not None,
            self.assignee,
            self.role is not None,
            self.rule is not None,
            self.system,
        ]
        if sum(kinds) != 1:
            raise ValueError("a rule has exactly one of party, assignee, role, rule, system")
        if self.roles and not (self.party or self.assignee):
            raise ValueError("roles only narrow a party or assignee rule")
        return self


class Transition(_Spec):
    label: str = Field(min_length=1, max_length=30)
    from_: tuple[str, ...] = Field(alias="from", min_length=1)
    to: str
    by: tuple[Rule, ...] = Field(min_length=1)
    requires: tuple[Literal["comment", "reason", "attachments"], ...] = ()
    event: str | None = Field(None, pattern=_CODE)  # the verb of its event; default: the code
    action: str | None = None  # the authz action; default: <context>.<entity>_<code>
    assign: Literal["state", "actor", "input", "keep"] = "state"
    in_place: bool = True  # can be taken from the to-do list (needs nothing the context asks for)
    extend: Duration | None = None  # 延期: the deadline granted this much longer
    style: Literal["primary", "danger", "default"] = "default"


class Subject(_Spec):
    context: str = Field(pattern=_CODE)
    entity: str = Field(pattern=_CODE)
    label: str = Field(min_length=1, max_length=30)  # 共享申请, 办件, 工单 …


class Definition(_Spec):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
    name: str = Field(min_length=2, max_length=60)
    subject: Subject
    parties: dict[str, str] = Field(min_length=1)  # code -> Chinese label
    urgencies: dict[str, str] = {"normal": "普通"}
    states: dict[str, State] = Field(min_length=2)
    transitions: dict[str, Transition] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Definition:
        problems: list[str] = []
        initial = [c for c, s in self.states.items() if s.kind == "initial"]
        if len(initial) != 1:
            problems.append(f"exactly one initial state, found {initial}")
        for code, state in self.states.items():
            if state.kind == "terminal" and (state.deadline or state.assignee or state.escalations):
                problems.append(f"terminal state {code} has a deadline, assignee or escalation")
            if state.kind == "paused" and state.deadline:
                problems.append(f"paused state {code} cannot have a deadline of its own")
            for urgency in state.by_urgency:
                if urgency not in self.urgencies:
                    problems.append(f"state {code}: unknown urgency {urgency}")
            if (state.warn_before or state.escalations or state.by_urgency) and not state.deadline:
                problems.append(f"state {code}: a warning, escalation or urgency needs a deadline")
            parties = [a.party for a in (state.assignee, *(e.to for e in state.escalations)) if a]
            problems += [f"state {code}: unknown party {p}" for p in parties if p not in self.parties]
        for code, t in self.transitions.items():
            for name in (*t.from_, t.to):
                if name not in self.states:
                    problems.append(f"transition {code}: unknown state {name}")
            problems += [f"transition {code} leaves terminal state {f}" for f in t.from_
                         if f in self.states and self.states[f].kind == "terminal"]  # fmt: skip
            problems += [
                f"transition {code}: unknown party {r.party}"
                for r in t.by
                if r.party and r.party not in self.parties
            ]
        reachable, todo = set(initial), list(initial)
        while todo:
            here = todo.pop()
            for t in self.transitions.values():
                if here in t.from_ and t.to not in reachable:
                    reachable.add(t.to)
                    todo.append(t.to)
        problems += [f"state {s} cannot be reached" for s in self.states if s not in reachable]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def initial(self) -> str:
        return next(c for c, s in self.states.items() if s.kind == "initial")

    def action(self, transition: str) -> str:
        t = self.transitions[transition]
        return t.action or f"{self.subject.context}.{self.subject.entity}_{transition}"

    def event_type(self, verb: str) -> str:
        return f"yiwang.{self.subject.context}.{self.subject.entity}.{verb}"

    def deadline(self, state: str, urgency: str, override: Duration | None = None) -> Duration | None:
        s = self.states[state]
        if s.deadline is None:
            return None
        return override or s.by_urgency.get(urgency) or s.deadline

    def clock_of(self, state: str) -> str:
        return self.states[state].clock or state

    def checksum(self) -> str:
        return hashlib.sha256(
            orjson.dumps(self.model_dump(mode="json", by_alias=True), option=orjson.OPT_SORT_KEYS)
        ).hexdigest()


def load(path: Path) -> Definition:
    """Read and validate a definition file (YAML or JSON); errors name the file and the key."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        return Definition.model_validate(raw)
    except ValueError as exc:
        raise ValueError(f"workflow definition {path}: {exc}") from exc


# --- who may take a transition (pure) ---------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """A party of a case: a department (with the region it serves), a person, or both."""

    department_id: int | None = None
    user_id: int | None = None
    region_code: str | None = None
    name: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"department_id": self.department_id, "user_id": self.user_id, "region_code": self.region_code,
                "name": self.name}  # fmt: skip


@dataclass(frozen=True)
class Facts:
    """What the rules look at: the case as it stands."""

    case_id: int
    state: str
    region_code: str
    parties: dict[str, Party]
    assignee_user_id: int | None
    assignee_department_id: int | None
    assignee_roles: tuple[str, ...]
    supervisors: frozenset[int] = field(default_factory=frozenset)


NamedRule = Callable[[Actor, Facts], bool]
_NAMED: dict[str, NamedRule] = {}
_NAMED_LABELS: dict[str, str] = {}


def named_rule(name: str, fn: NamedRule, label: str) -> None:
    """A rule of the owning context's, with how people read it (流程定义 shows it)."""
    known = _NAMED.get(name)
    if known is not None and known is not fn:
        raise RuntimeError(f"two workflow rules named {name}")
    _NAMED[name], _NAMED_LABELS[name] = fn, label


def rule_label(name: str) -> str:
    return _NAMED_LABELS.get(name, "按规则判定")


def _member(actor: Actor, department_id: int | None, user_id: int | None, roles: tuple[str, ...],
            clients: bool = True) -> bool:  # fmt: skip
    if user_id is not None and actor.kind == "user" and actor.id == user_id:
        return True
    if department_id is None or actor.department_id != department_id:
        return False
    if actor.kind == "client":
        return clients  # a department's own system acts for the department, where allowed
    return bool(set(roles) & actor.roles) if roles else actor.is_staff


def rule_allows(rule: Rule, actor: Actor, facts: Facts) -> bool:
    if rule.system:
        return actor.kind == "system"
    if rule.party is not None:
        p = facts.parties.get(rule.party)
        return p is not None and _member(actor, p.department_id, p.user_id, rule.roles, rule.clients)
    if rule.assignee:
        return _member(actor, facts.assignee_department_id, facts.assignee_user_id,
                       rule.roles or facts.assignee_roles, rule.clients)  # fmt: skip
    if rule.role is not None:
        return (
            actor.kind == "user"
            and actor.has(rule.role)
            and region_covers(actor.region_code or "-", facts.region_code)
        )
    fn = _NAMED.get(rule.rule or "")
    if fn is None:
        raise RuntimeError(f"workflow rule {rule.rule} is not registered")
    return fn(actor, facts)


def allows(rules: tuple[Rule, ...], actor: Actor, facts: Facts) -> bool:
    return any(rule_allows(r, actor, facts) for r in rules)
