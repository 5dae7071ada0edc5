"""Sealing of the audit chain: `seal_all()` runs as the `audit.seal` job of `core.jobs`, on
shutdown, and before `yiwang audit verify`."""

from __future__ import annotations

from yiwang.core import audit
from yiwang.core.db import transaction
from yiwang.core.metrics import AUDIT_SEALED


def seal_all(batch: int = 5000) -> int:
    """Link every pending record into the chain, a batch per transaction (the `audit.seal` job).
    Stops after a batch that was not full: under steady load the next run, one interval later,
    seals what arrived meanwhile in one batch instead of chasing every few new rows."""
    total = 0
    while True:
        with transaction() as s:
            n = audit.seal(s, batch)
        total += n
        AUDIT_SEALED.inc(n)
        if n < batch:
            return total
