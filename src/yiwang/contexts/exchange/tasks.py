"""The exchange's periodic jobs, registered with `core.jobs` by the entry points (app, CLI).
(Overdue requests are escalated by the workflow engine's timers.)"""

from __future__ import annotations

from yiwang.core import jobs

DELIVER = "exchange.deliver"


def _deliver() -> int:
    from yiwang.contexts.exchange.delivery import deliver_all

    return deliver_all()


def register_jobs() -> None:
    jobs.register(DELIVER, 1.0, _deliver, transactional=False)
