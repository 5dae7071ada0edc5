"""The exchange's periodic jobs, registered with `core.jobs` by the entry points (app, CLI)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwang.core import jobs
from yiwang.core.actor import SYSTEM

ESCALATE = "exchange.request_escalate_overdue"
DELIVER = "exchange.deliver"


def _escalate(session: Session) -> int:
    from yiwang.contexts.exchange.actions import request_escalate_overdue

    return request_escalate_overdue(session, SYSTEM)


def _deliver() -> int:
    from yiwang.contexts.exchange.delivery import deliver_all

    return deliver_all()


def register_jobs() -> None:
    jobs.register(ESCALATE, 60.0, _escalate)
    jobs.register(DELIVER, 1.0, _deliver, transactional=False)
