"""Use cases of sharing requests and grants. Each starts with authz.check."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwang.contexts import catalog, identity
from yiwang.contexts.exchange import repository as repo
from yiwang.contexts.exchange.governance import forget_grants
from yiwang.contexts.exchange.models import Grant, SharingRequest
from yiwang.contexts.exchange.policies import DecideTarget, OversightTarget, PartyTarget, RequestTarget
from yiwang.contexts.exchange.schemas import ApproveIn, GrantOut, RefuseIn, RequestIn, RequestOut, RevokeIn
from yiwang.core import audit, authz
from yiwang.core.actor import Actor
from yiwang.core.codes import region_covers
from yiwang.core.db import utcnow
from yiwang.core.errors import FieldError, NotFound, ValidationFailed
from yiwang.core.workdays import add_working_days, local_day

DECISION_WORKING_DAYS = 10


def request_view(session: Session, r: SharingRequest, grant_id: int | None = None) -> RequestOut:
    res = catalog.resource_for_exchange(session, r.resource_id)
    consumer = identity.department(session, r.consumer_department_id)
    provider = identity.department(session, r.provider_department_id)
    now = utcnow()
    return RequestOut(
        id=r.id, resource_code=res.code if res else "", resource_name=res.name if res else "",
        consumer=consumer.name if consumer else "", provider=provider.name if provider else "",
        fields=list(r.fields), purpose=r.purpose, legal_basis=r.legal_basis, row_scope=r.row_scope,
        valid_from=r.valid_from, valid_to=r.valid_to, daily_quota=r.daily_quota, status=r.status,
        due_at=r.due_at, due_provisional=r.due_provisional,
        overdue=r.status == "pending" and r.due_at is not None and r.due_at < now,
        escalated_at=r.escalated_at, decided_by=r.decided_by, decided_at=r.decided_at,
        decision_reason=r.decision_reason, grant_id=grant_id, created_at=r.created_at,
    )  # fmt: skip


def _grant_from(r: SharingRequest, masked: list[str]) -> Grant:
    forget_grants()  # a newer grant replaces a cached one in this process at once
    return Grant(
        request_id=r.id, resource_id=r.resource_id, consumer_department_id=r.consumer_department_id,
        fields=list(r.fields), masked_fields=masked, purpose=r.purpose, row_scope=r.row_scope,
        valid_from=r.valid_from, valid_to=r.valid_to, daily_quota=r.daily_quota,
    )  # fmt: skip


def request_create(session: Session, actor: Actor, data: RequestIn) -> RequestOut:
    consumer = identity.department(session, actor.department_id) if actor.department_id else None
    row_scope = data.row_scope or (consumer.region_code if consumer else "")
    target = RequestTarget(actor.department_id, consumer.region_code if consumer else None, row_scope)
    authz.check(actor, "exchange.request_create", target)
    assert consumer is not None
    resource = catalog.resource_for_exchange(session, data.resource_code)
    if resource is None:
        raise ValidationFailed("信息资源不存在", [FieldError("resource_code", "信息资源不存在", "unknown")])
    unknown = [f for f in data.fields if f not in resource.fields]
    if unknown:
        msg = f"资源没有这些信息项：{'、'.join(unknown)}"
        raise ValidationFailed(msg, [FieldError("fields", msg, "unknown")])
    now = utcnow()
    r = SharingRequest(
        resource_id=resource.id, consumer_department_id=consumer.id,
        provider_department_id=resource.provider_department_id, requested_by=actor.name or actor.label,
        fields=data.fields, purpose=data.purpose, legal_basis=data.legal_basis, row_scope=row_scope,
        valid_from=data.valid_from or local_day(now), valid_to=data.valid_to, daily_quota=data.daily_quota,
        status="pending",
    )  # fmt: skip
    grant_id = None
    if resource.share_type == "none":
        r.status, r.decided_by, r.decided_at = "refused", "系统（不予共享）", now
        r.decision_reason = f"该资源不予共享。依据：{resource.share_basis}"
        repo.add(session, r)
    elif resource.share_type == "unconditional":
        r.status, r.decided_by, r.decided_at = "approved", "系统（无条件共享）", now
        r.decision_reason = "无条件共享资源，自动授权"
        repo.add(session, r)
        grant = _grant_from(r, [])
        repo.add(session, grant)
        grant_id = grant.id
    else:
        deadline = add_working_days(now, DECISION_WORKING_DAYS)
        r.due_at, r.due_provisional = deadline.due_at, deadline.provisional
        repo.add(session, r)
    audit.record(session, actor, "exchange.request_create", "sharing_request", r.id,
                 detail={"resource": resource.code, "fields": data.fields, "status": r.status})  # fmt: skip
    return request_view(session, r, grant_id)


def _decide_target(session: Session, r: SharingRequest | None) -> DecideTarget:
    if r is None:
        raise NotFound("共享申请不存在")
    provider = identity.department(session, r.provider_department_id)
    return DecideTarget(r.provider_department_id, provider.region_code if provider else "", r.status)


def request_approve(session: Session, actor: Actor, request_id: int, data: ApproveIn) -> RequestOut:
    r = repo.request(session, request_id, for_update=True)
    authz.check(actor, "exchange.request_decide", _decide_target(session, r))
    assert r is not None
    stray = [f for f in data.masked_fields if f not in r.fields]
    if stray:
        msg = f"脱敏信息项必须是申请的信息项：{'、'.join(stray)}"
        raise ValidationFailed(msg, [FieldError("masked_fields", msg, "not_requested")])
    r.status, r.decided_by, r.decided_at = "approved", actor.name or actor.label, utcnow()
    r.decision_reason = data.note or "同意"
    grant = _grant_from(r, data.masked_fields)
    repo.add(session, grant)
    audit.record(session, actor, "exchange.request_approve", "sharing_request", r.id,
                 detail={"grant": grant.id, "masked": data.masked_fields})  # fmt: skip
    return request_view(session, r, grant.id)


def request_refuse(session: Session, actor: Actor, request_id: int, data: RefuseIn) -> RequestOut:
    r = repo.request(session, request_id, for_update=True)
    authz.check(actor, "exchange.request_decide", _decide_target(session, r))
    assert r is not None
    r.status, r.decided_by, r.decided_at, r.decision_reason = (
        "refused",
        actor.name or actor.label,
        utcnow(),
        data.reason,
    )
    session.flush()
    audit.record(session, actor, "exchange.request_refuse", "sharing_request", r.id, purpose=data.reason)
    return request_view(session, r)


def grant_revoke(session: Session, actor: Actor, grant_id: int, data: RevokeIn) -> GrantOut:
    g = repo.grant(session, grant_id)
    r = repo.request(session, g.request_id) if g else None
    authz.check(actor, "exchange.grant_revoke", _decide_target(session, r))
    assert g is not None
    g.revoked_at, g.revoked_reason = utcnow(), data.reason
    session.flush()
    forget_grants()
    audit.record(session, actor, "exchange.grant_revoke", "grant", g.id, purpose=data.reason)
    return grant_view(session, g)


def grant_view(session: Session, g: Grant) -> GrantOut:
    res = catalog.resource_for_exchange(session, g.resource_id)
    return GrantOut(
        id=g.id, resource_code=res.code if res else "", consumer_department_id=g.consumer_department_id,
        fields=list(g.fields), masked_fields=list(g.masked_fields or []), purpose=g.purpose,
        row_scope=g.row_scope, valid_from=g.valid_from, valid_to=g.valid_to, daily_quota=g.daily_quota,
        used_today=repo.quota_used(session, g.id, local_day(utcnow())), revoked_at=g.revoked_at,
    )  # fmt: skip


def request_list(
    session: Session, actor: Actor, direction: str, status: str | None = None
) -> list[RequestOut]:
    """incoming (to my department) | outgoing (from it); see request_oversight for overdue | all."""
    dept = actor.department_id
    authz.check(actor, "exchange.request_read", PartyTarget(frozenset({dept} if dept else set()), None))
    return _views(session, repo.requests(session, dept, direction, status))


def request_oversight(
    session: Session, actor: Actor, direction: str, status: str | None = None
) -> list[RequestOut]:
    """overdue | all requests within the actor's region: data officers, leaders, admins."""
    authz.check(actor, "exchange.request_oversee", OversightTarget(actor.region_code))
    source = (
        repo.overdue_requests(session, utcnow())
        if direction == "overdue"
        else repo.requests(session, None, "all", status)
    )
    return _views(session, [r for r in source if region_covers(actor.region_code or "", r.row_scope)])


def _views(session: Session, rows: list[SharingRequest]) -> list[RequestOut]:
    grants = repo.grant_ids_of_requests(session, [r.id for r in rows])
    return [request_view(session, r, grants.get(r.id)) for r in rows]


def request_read(session: Session, actor: Actor, request_id: int) -> RequestOut:
    r = repo.request(session, request_id)
    parties = frozenset({r.consumer_department_id, r.provider_department_id}) if r else frozenset()
    authz.check(actor, "exchange.request_read", PartyTarget(parties, r.row_scope if r else None))
    if r is None:
        raise NotFound("共享申请不存在")
    grant = repo.grant_of_request(session, r.id)
    return request_view(session, r, grant.id if grant else None)


def grant_list(session: Session, actor: Actor) -> list[GrantOut]:
    dept = actor.department_id
    authz.check(actor, "exchange.request_read", PartyTarget(frozenset({dept} if dept else set()), None))
    return [grant_view(session, g) for g in repo.grants(session, consumer_id=dept)]


def request_escalate_overdue(session: Session, actor: Actor) -> int:
    """Mark requests past their 10-working-day deadline as escalated to the data officer."""
    authz.check(actor, "exchange.request_escalate", None)
    now = utcnow()
    rows = repo.overdue_requests(session, now, only_unescalated=True)
    for r in rows:
        r.escalated_at = now
        audit.record(session, actor, "exchange.request_escalate", "sharing_request", r.id,
                     detail={"due_at": r.due_at.isoformat() if r.due_at else None,
                             "overdue_hours": round((now - r.due_at).total_seconds() / 3600, 1) if r.due_at else None})  # fmt: skip
    session.flush()
    return len(rows)
