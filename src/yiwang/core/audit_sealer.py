"""Sealing of the audit chain: `seal_all()` runs as the `audit.seal` job of `core.jobs`, on
shutdown, and before `yiwang audit verify`."""

from __future__ import annotations

from yiwang.core import audit
from yiwang.core.db import transaction
from yiwang.core.metrics import AUDIT_SEALED


def seal_all() -> int:
    """Link every pending record into the chain, a batch per transaction (the `audit.seal` job)."""
    total = 0
    while True:
        with transaction() as s:
            n = audit.seal(s)
        total += n
        AUDIT_SEALED.inc(n)
        if n == 0:
            return total
