"""The audit log seen by its keepers: the latest records, and verifying the chain on demand."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwang.core import audit, audit_repository, authz
from yiwang.core.actor import Actor
from yiwang.core.audit import AuditRecord, VerifyReport
from yiwang.core.audit_sealer import seal_before_verify

MAX_ROWS = 200


def audit_list(session: Session, actor: Actor, limit: int = 50) -> list[AuditRecord]:
    """The newest audit records, newest first."""
    authz.check(actor, "identity.audit_read")
    return audit_repository.latest(session, max(1, min(limit, MAX_ROWS)))


def audit_verify(session: Session, actor: Actor) -> tuple[VerifyReport, int]:
    """Seal what is pending, then recompute every hash, the chain and each checkpoint signature.

    Returns the report and how many records were sealed first. The verification itself is
    audited (after `verify`, which clears the session's identity map as it streams the chain).
    """
    authz.check(actor, "identity.audit_verify")
    sealed = seal_before_verify(session)
    report = audit.verify(session)
    audit.record(
        session, actor, "identity.audit_verify", "audit_chain", report.records,
        outcome="ok" if report.ok else "broken",
        detail={"records": report.records, "checkpoints": report.checkpoints, "sealed": sealed,
                "broken_at": report.broken_at, "reason": report.reason},
    )  # fmt: skip
    return report, sealed
