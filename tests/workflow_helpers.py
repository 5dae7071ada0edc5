"""Test helpers for cases on the workflow engine."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from yiwang.core import workflow_timers
from yiwang.core.db import transaction, utcnow


def make_overdue(subject_type: str, subject_id: object, days: float = 2) -> None:
    """Move a case's clock as if `days` had passed its deadline, and let the engine's timers fire
    (the overdue mark and the escalations due by then)."""
    past = utcnow() - timedelta(days=days)
    with transaction() as s:
        case_id = s.execute(text("SELECT id FROM workflow_case WHERE subject_type = :t AND subject_id = :i"),
                            {"t": subject_type, "i": str(subject_id)}).scalar_one()  # fmt: skip
        s.execute(text("UPDATE workflow_case SET due_at = :p WHERE id = :c"), {"p": past, "c": case_id})
        s.execute(text("UPDATE workflow_timer SET due_at = :p WHERE case_id = :c AND kind != 'warning'"),
                  {"p": past, "c": case_id})  # fmt: skip
        s.execute(text("DELETE FROM workflow_timer WHERE case_id = :c AND kind = 'warning'"), {"c": case_id})
    workflow_timers.run_timers()
