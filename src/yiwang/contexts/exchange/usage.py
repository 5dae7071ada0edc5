"""Logging refusals: a refused call rolls back, so its usage-log row is written afterwards."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager

from yiwang.contexts import catalog
from yiwang.contexts.exchange import repository as repo
from yiwang.contexts.exchange.governance import UseContext
from yiwang.core import deferred
from yiwang.core.actor import Actor
from yiwang.core.db import transaction, utcnow
from yiwang.core.errors import DomainError


def refused_nonce_prefix(nonce: str) -> str:
    """Refusals are logged under a derived nonce (the original stays free for the unique index)."""
    return hashlib.sha256(nonce.encode()).hexdigest()[:32]


@contextmanager
def refusals_logged(actor: Actor, ctx: UseContext, op: str, resource_code: str) -> Iterator[None]:
    try:
        yield
    except DomainError as exc:
        row = {
            "at": utcnow(), "consumer": actor.label, "consumer_department_id": actor.department_id,
            "end_user": ctx.end_user, "case_id": ctx.case_id, "purpose": ctx.purpose,
            "grant_id": None, "operation": op, "fields": None, "keys": 0, "rows": 0, "status": exc.status,
            "refusal": exc.detail or exc.title, "request_hash": ctx.request_hash,
            # a replayed nonce is logged under a derived nonce so the original row stays unique
            "nonce": f"refused:{refused_nonce_prefix(ctx.nonce)}:{time.time_ns() % 10**12}",
            "latency_ms": round((time.perf_counter() - ctx.started) * 1000, 3),
        }  # fmt: skip

        def write() -> None:
            with transaction() as s:
                resource = catalog.resource_for_exchange(s, resource_code)  # only on the refusal path
                repo.log_usage(s, {**row, "resource_id": resource.id if resource else None})

        deferred.defer(write)
        raise
