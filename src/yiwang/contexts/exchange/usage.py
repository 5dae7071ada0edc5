"""Logging refusals raised while a call is prepared: a refused call rolls back, so its
usage-log row is written afterwards. (Refusals at commit time, a replay or a spent quota,
are logged by `accounting` in the group commit that refuses them.)"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from yiwang.contexts import catalog
from yiwang.contexts.exchange import repository as repo
from yiwang.contexts.exchange.accounting import refusal_row
from yiwang.contexts.exchange.governance import UseContext
from yiwang.core import deferred
from yiwang.core.actor import Actor
from yiwang.core.db import transaction, utcnow
from yiwang.core.errors import DomainError, Unavailable


@contextmanager
def refusals_logged(actor: Actor, ctx: UseContext, op: str, resource_code: str) -> Iterator[None]:
    try:
        yield
    except Unavailable:  # the server's fault (no database), not a decision about the call
        raise
    except DomainError as exc:
        row = refusal_row({
            "at": utcnow(), "consumer": actor.label, "consumer_department_id": actor.department_id,
            "end_user": ctx.end_user, "case_id": ctx.case_id, "purpose": ctx.purpose, "grant_id": None,
            "operation": op, "request_hash": ctx.request_hash, "nonce": ctx.nonce,
            "latency_ms": round((time.perf_counter() - ctx.started) * 1000, 3),
        }, exc)  # fmt: skip

        def write() -> None:
            with transaction() as s:
                resource = catalog.resource_for_exchange(s, resource_code)  # only on the refusal path
                repo.log_usage(s, [{**row, "resource_id": resource.id if resource else None}])

        deferred.defer(write)
        raise
