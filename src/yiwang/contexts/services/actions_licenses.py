"""E-licenses: the holder's list, verification by anyone (valid / revoked / unknown), revocation
by the issuing department."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwang.contexts.services import licensing
from yiwang.contexts.services import repository as repo
from yiwang.contexts.services.models import ELicense
from yiwang.core import audit, authz
from yiwang.core.actor import Actor
from yiwang.core.db import utcnow
from yiwang.core.errors import Conflict, FieldError, NotFound, ValidationFailed


def license_verify(session: Session, actor: Actor, number: str) -> licensing.Check:
    authz.check(actor, "services.license_verify", None)
    return licensing.check(session, number)


def licenses_mine(session: Session, actor: Actor) -> list[ELicense]:
    authz.check(actor, "services.application_list", None)
    return repo.licenses_held(session, actor.person_id, actor.enterprise_id)


def _license(session: Session, number: str) -> ELicense:
    lic = repo.license_by_number(session, number[:40])
    if lic is None:
        raise NotFound("查无此证")
    return lic


def license_revoke(session: Session, actor: Actor, number: str, reason: str) -> ELicense:
    lic = _license(session, number)
    authz.check(actor, "services.license_revoke", lic)
    if len(reason.strip()) < 2:
        raise ValidationFailed(
            "请填写撤销理由", [FieldError("reason", "请填写撤销理由（至少 2 个字）", "missing")]
        )
    if lic.revoked_at is not None:
        raise Conflict("该证照已撤销")
    lic.revoked_at, lic.revoked_reason = utcnow(), reason.strip()[:500]
    session.flush()
    audit.record(session, actor, "services.license_revoke", "service_elicense", lic.id, purpose=lic.revoked_reason,
                 detail={"number": lic.number})  # fmt: skip
    return lic
