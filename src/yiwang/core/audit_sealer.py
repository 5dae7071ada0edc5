"""Sealing of the audit chain: `seal_all()` runs as the `audit.seal` job of `core.jobs`, on
shutdown, and before `yiwang audit verify`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwang.core import audit
from yiwang.core.db import transaction
from yiwang.core.metrics import AUDIT_SEALED


def seal_all(batch: int = 1000) -> int:
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


def seal_before_verify(session: Session) -> int:
    """Seal what is pending before a verification in a request. On PostgreSQL in short
    transactions of their own: the chain lock, which every process's group-commit writer waits
    for, must not stay held through the verification and the rest of the request. On SQLite in
    the caller's transaction, which already holds the database's one write lock."""
    if session.get_bind().dialect.name == "postgresql":
        return seal_all()
    sealed = 0
    while n := audit.seal(session):
        sealed += n
        AUDIT_SEALED.inc(n)
    session.flush()  # signed checkpoints are pending objects; verify() expunges the session
    return sealed
