"""Workflow definitions as people read them: a diagram of states and transitions (drawn with
the vendored ECharts graph), who works on each state and within what time, who may take each
transition and what it needs."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from yiwang.core import authz, workflow
from yiwang.core.actor import ROLE_NAMES, Actor
from yiwang.core.workflow_spec import Definition, Rule, rule_label

KIND_ZH = {"initial": "开始", "active": "办理中", "paused": "暂停计时", "terminal": "办结"}
INPUT_ZH = {"comment": "意见", "reason": "理由", "attachments": "附件"}


def definition_list(session: Session, actor: Actor) -> list[dict[str, Any]]:
    authz.check(actor, "workbench.workflow_read", None)
    out = []
    for code in workflow.registered_codes():
        spec = workflow.registered(code)
        if spec.subject.context == "test":
            continue
        out.append({"code": code, "name": spec.name, "subject": spec.subject.label, "states": len(spec.states),
                    "transitions": len(spec.transitions), "versions": workflow.versions(session, code)})  # fmt: skip
    return out


def _roles(roles: tuple[str, ...]) -> str:
    return "、".join(ROLE_NAMES.get(r, r) for r in roles)


def _who(spec: Definition, r: Rule) -> str:
    if r.system:
        return "系统自动"
    if r.party:
        text = spec.parties.get(r.party, r.party)
        return text + (f"（{_roles(r.roles)}）" if r.roles else "") + ("" if r.clients else "，不含接入系统")
    if r.assignee:
        return "当前办理人" + (f"（{_roles(r.roles)}）" if r.roles else "")
    if r.role:
        return f"本区划的{ROLE_NAMES.get(r.role, r.role)}"
    return rule_label(r.rule or "")


def _layout(spec: Definition) -> dict[str, tuple[int, int]]:
    """(column, row) of each state, for a left-to-right flow: the states work happens in by
    their distance from the initial one, the outcomes (terminal states) in a last column."""
    working = [c for c, s in spec.states.items() if s.kind != "terminal"]
    level, todo = {spec.initial: 0}, [spec.initial]
    while todo:
        here = todo.pop(0)
        for t in spec.transitions.values():
            if here in t.from_ and t.to in working and t.to not in level:
                level[t.to] = level[here] + 1
                todo.append(t.to)
    out: dict[str, tuple[int, int]] = {}
    rows: dict[int, int] = {}
    for code in working:
        col = level.get(code, 0)
        out[code] = (col, rows.get(col, 0))
        rows[col] = rows.get(col, 0) + 1
    last = max((c for c, _ in out.values()), default=0) + 1
    for i, code in enumerate(c for c, s in spec.states.items() if s.kind == "terminal"):
        out[code] = (last, i)
    return out


def definition_page(session: Session, actor: Actor, code: str, version: int | None) -> dict[str, Any]:
    authz.check(actor, "workbench.workflow_read", None)
    spec, stored = workflow.version_spec(session, code, version)
    pos = _layout(spec)
    outcomes = sum(1 for s in spec.states.values() if s.kind == "terminal")

    def where(code: str) -> tuple[float, float]:
        """The initial state on the centre line, the other working states above it (the arrows
        from it to the outcomes pass beneath them), the outcomes stacked about the centre."""
        col, row = pos[code]
        kind = spec.states[code].kind
        if kind == "terminal":
            return col * 240, (row - (outcomes - 1) / 2) * 90
        return col * 240, 0 if code == spec.initial or col == 0 else -(row + 1.3) * 90

    nodes = [{"id": c, "name": s.label, "kind": s.kind, "kind_label": KIND_ZH[s.kind], "x": where(c)[0],
              "y": where(c)[1]} for c, s in spec.states.items()]  # fmt: skip
    merged: dict[tuple[str, str], dict[str, Any]] = {}  # one arrow per pair of states, its labels joined
    loops: dict[str, list[str]] = {}
    for t in spec.transitions.values():
        for f in t.from_:
            if f == t.to:
                loops.setdefault(f, []).append(t.label)
                continue
            edge = merged.setdefault((f, t.to), {"source": f, "target": t.to, "labels": [], "system": True})
            edge["labels"].append(t.label)
            edge["system"] = edge["system"] and any(r.system for r in t.by)
    edges = [{**e, "label": " / ".join(e.pop("labels"))} for e in merged.values()]
    states = [{
        "code": c, "label": s.label, "kind": KIND_ZH[s.kind],
        "assignee": (spec.parties.get(s.assignee.party, s.assignee.party) + (f"（{_roles(s.assignee.roles)}）" if s.assignee.roles else ""))
        if s.assignee else "—",
        "deadline": s.deadline.label() if s.deadline else ("计时暂停" if s.kind == "paused" else "—"),
        "by_urgency": {spec.urgencies.get(u, u): d.label() for u, d in s.by_urgency.items()},
        "warn": f"到期前 {s.warn_before.label()}" if s.warn_before else "",
        "escalations": [f"超期{'' if e.after.amount == 0 else ' ' + e.after.label() + ' 后'}：{e.label}" for e in s.escalations],
        "loops": loops.get(c, []),
    } for c, s in spec.states.items()]  # fmt: skip
    transitions = [{
        "label": t.label, "from": "、".join(spec.states[f].label for f in t.from_), "to": spec.states[t.to].label,
        "who": "；".join(_who(spec, r) for r in t.by), "requires": "、".join(INPUT_ZH[x] for x in t.requires) or "—",
        "in_place": t.in_place,
    } for t in spec.transitions.values()]  # fmt: skip
    return {"code": code, "name": spec.name, "subject": spec.subject.label, "version": stored,
            "versions": workflow.versions(session, code), "graph": {"nodes": nodes, "edges": edges},
            "states": states, "transitions": transitions}  # fmt: skip
