"""The `workflow.timers` job: fire the due-time rows (warnings, overdue marks, escalations).

Only due rows are read (an index on `due_at`; a row is deleted when it fires or its case moves
on), never the cases. Each fires in its own transaction with its case locked first, as a
transition locks it, so the two never wait on each other in opposite orders; a case that a
transition holds right now is skipped and fired on the next run."""

from __future__ import annotations

from datetime import datetime

from yiwang.core import audit
from yiwang.core import workflow_repository as repo
from yiwang.core.actor import SYSTEM
from yiwang.core.db import transaction, utcnow
from yiwang.core.workflow import definition_of, emit_change, record_step

BATCH = 200
_KINDS = {
    "warning": ("warned", "临近办理期限"),
    "overdue": ("overdue", "已超过办理期限"),
    "escalation": ("escalated", ""),
}


def run_timers(now: datetime | None = None, limit: int = BATCH) -> int:
    """Fire what is due by `now` (default: the real time); returns how many fired."""
    moment = now or utcnow()
    with transaction() as s:
        due = repo.due_timers(s, moment, limit)
    fired = 0
    for timer_id, case_id in due:
        with transaction() as s:
            c = repo.case(s, case_id, for_update=True, skip_locked=True)
            t = repo.timer(s, timer_id) if c is not None else None
            if c is None or t is None:
                continue  # held by a transition right now, or it moved on meanwhile
            spec = definition_of(s, c.definition_id)
            verb, label = _KINDS[t.kind]
            if t.kind == "warning":
                c.warned_at = moment
            elif t.kind == "overdue":
                c.overdue_at = moment
            else:
                esc = next(e for e in spec.states[c.state].escalations if e.level == t.level)
                c.escalation_level, c.escalated_at, label = t.level, moment, esc.label
            step = record_step(s, c, SYSTEM, t.kind, t.kind, label, c.state,
                               detail={"due_at": c.due_at.isoformat() if c.due_at else None, "level": t.level})  # fmt: skip
            audit.record(s, SYSTEM, f"workflow.{t.kind}", c.subject_type, c.subject_id,
                         detail={"case": c.id, "state": c.state, "level": t.level, "label": label})  # fmt: skip
            repo.delete_timer(s, t)
            emit_change(s, c, verb, step)
            fired += 1
    return fired
