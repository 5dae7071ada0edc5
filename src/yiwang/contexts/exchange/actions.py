"""Use cases of sharing requests and grants. Each starts with authz.check.

A request is a case of the workflow engine (`cases.py`, workflows/sharing_request.yaml): the
provider decides within 10 working days, 补正 returns it to the consumer and stops the clock,
an overdue request is escalated to the data officers by the engine's timers."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwang.contexts import catalog, identity, workbench
from yiwang.contexts.exchange import cases
from yiwang.contexts.exchange import repository as repo
from yiwang.contexts.exchange.governance import forget_grants
from yiwang.contexts.exchange.models import Grant, SharingRequest
from yiwang.contexts.exchange.policies import DecideTarget, OversightTarget, PartyTarget, RequestTarget
from yiwang.contexts.exchange.schemas import (
    ApproveIn,
    GrantOut,
    ReasonIn,
    RefuseIn,
    RequestIn,
    RequestOut,
    RevokeIn,
    SupplementIn,
)
from yiwang.core import audit, authz, workflow
from yiwang.core.actor import SYSTEM, Actor
from yiwang.core.codes import region_covers
from yiwang.core.db import utcnow
from yiwang.core.errors import FieldError, NotFound, ValidationFailed
from yiwang.core.workdays import local_day


def request_view(
    session: Session, r: SharingRequest, grant_id: int | None = None, case: workflow.CaseView | None = None
) -> RequestOut:
    res = catalog.resource_for_exchange(session, r.resource_id)
    consumer = identity.department(session, r.consumer_department_id)
    provider = identity.department(session, r.provider_department_id)
    c = case or cases.case_of(session, r)
    return RequestOut(
        id=r.id, resource_code=res.code if res else "", resource_name=res.name if res else "",
        consumer=consumer.name if consumer else "", provider=provider.name if provider else "",
        fields=list(r.fields), purpose=r.purpose, legal_basis=r.legal_basis, row_scope=r.row_scope,
        valid_from=r.valid_from, valid_to=r.valid_to, daily_quota=r.daily_quota, status=r.status,
        state_label=c.state_label if c else "", case_id=c.id if c else None, revision=c.revision if c else 0,
        due_at=c.due_at if c and c.open else None, due_provisional=bool(c and c.due_provisional),
        paused=bool(c and c.paused), overdue=bool(c and c.overdue()),
        escalated_at=c.escalated_at if c and c.open else None, supervised=bool(c and c.supervised),
        decided_by=r.decided_by, decided_at=r.decided_at, decision_reason=r.decision_reason, grant_id=grant_id,
        created_at=r.created_at,
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
    r = SharingRequest(
        resource_id=resource.id, consumer_department_id=consumer.id,
        provider_department_id=resource.provider_department_id, requested_by=actor.name or actor.label,
        fields=data.fields, purpose=data.purpose, legal_basis=data.legal_basis, row_scope=row_scope,
        valid_from=data.valid_from or local_day(utcnow()), valid_to=data.valid_to, daily_quota=data.daily_quota,
        status="pending",
    )  # fmt: skip
    repo.add(session, r)
    audit.record(session, actor, "exchange.request_create", "sharing_request", r.id,
                 detail={"resource": resource.code, "fields": data.fields, "share_type": resource.share_type})  # fmt: skip
    case = cases.open_case(session, actor, r, resource.name)
    if resource.share_type in cases.AUTO:  # decided by the system at once, on the record like any decision
        code, note = cases.AUTO[resource.share_type]
        reason = note or f"该资源不予共享。依据：{resource.share_basis}"
        workflow.transition(session, SYSTEM, case.id, code, reason=reason)
    grant = repo.grant_of_request(session, r.id)
    return request_view(session, r, grant.id if grant else None)


def _case_target(
    session: Session, request_id: int, code: str, revision: int | None
) -> workflow.TransitionTarget:
    r = repo.request(session, request_id)
    case = cases.case_of(session, r) if r else None
    if r is None or case is None:
        raise NotFound("共享申请不存在")
    return workflow.target(session, case.id, code, revision)


def _after(session: Session, request_id: int) -> RequestOut:
    r = repo.request(session, request_id)
    assert r is not None
    grant = repo.grant_of_request(session, r.id)
    return request_view(session, r, grant.id if grant else None)


def request_approve(session: Session, actor: Actor, request_id: int, data: ApproveIn) -> RequestOut:
    target = _case_target(session, request_id, "approve", data.revision)
    authz.check(actor, "exchange.request_approve", target)
    workflow.fire(
        session, actor, target, comment=data.note or None, data={"masked_fields": data.masked_fields}
    )
    return _after(session, request_id)


def request_refuse(session: Session, actor: Actor, request_id: int, data: RefuseIn) -> RequestOut:
    target = _case_target(session, request_id, "refuse", data.revision)
    authz.check(actor, "exchange.request_refuse", target)
    workflow.fire(session, actor, target, reason=data.reason)
    return _after(session, request_id)


def request_supplement_ask(session: Session, actor: Actor, request_id: int, data: ReasonIn) -> RequestOut:
    """补正: back to the consumer with what is missing; the decision clock stops meanwhile."""
    target = _case_target(session, request_id, "request_supplement", data.revision)
    authz.check(actor, "exchange.request_request_supplement", target)
    workflow.fire(session, actor, target, reason=data.reason)
    return _after(session, request_id)


def request_supplement(session: Session, actor: Actor, request_id: int, data: SupplementIn) -> RequestOut:
    """The consumer answers a 补正 (optionally correcting purpose and legal basis); the clock runs again."""
    target = _case_target(session, request_id, "supplement", data.revision)
    authz.check(actor, "exchange.request_supplement", target)
    workflow.fire(session, actor, target, comment=data.comment,
                  data={"purpose": data.purpose, "legal_basis": data.legal_basis})  # fmt: skip
    return _after(session, request_id)


def request_withdraw(session: Session, actor: Actor, request_id: int, data: ReasonIn) -> RequestOut:
    target = _case_target(session, request_id, "withdraw", data.revision)
    authz.check(actor, "exchange.request_withdraw", target)
    workflow.fire(session, actor, target, reason=data.reason)
    return _after(session, request_id)


def decide_target(session: Session, r: SharingRequest | None) -> DecideTarget:
    if r is None:
        raise NotFound("共享申请不存在")
    provider = identity.department(session, r.provider_department_id)
    return DecideTarget(r.provider_department_id, provider.region_code if provider else "")


def grant_revoke(session: Session, actor: Actor, grant_id: int, data: RevokeIn) -> GrantOut:
    g = repo.grant(session, grant_id)
    r = repo.request(session, g.request_id) if g else None
    authz.check(actor, "exchange.grant_revoke", decide_target(session, r))
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
    return views(session, repo.requests(session, dept, direction, status))


def request_waiting(session: Session, actor: Actor) -> list[RequestOut]:
    """待我审批: the requests waiting for me in the one to-do list (to decide, or to supplement)."""
    dept = actor.department_id
    authz.check(actor, "exchange.request_read", PartyTarget(frozenset({dept} if dept else set()), None))
    ids = workbench.todo_cases(session, actor, cases.CODE)  # the nearest deadline first
    found = workflow.cases(session, ids)
    ordered = [found[i] for i in ids if i in found]
    rows = {r.id: r for r in repo.requests_by_ids(session, [int(c.subject_id) for c in ordered])}
    grants = repo.grant_ids_of_requests(session, list(rows))
    return [request_view(session, rows[int(c.subject_id)], grants.get(int(c.subject_id)), c)
            for c in ordered if int(c.subject_id) in rows]  # fmt: skip


def request_oversight(
    session: Session, actor: Actor, direction: str, status: str | None = None
) -> list[RequestOut]:
    """overdue | all requests within the actor's region: data officers, leaders, admins."""
    authz.check(actor, "exchange.request_oversee", OversightTarget(actor.region_code))
    if direction == "overdue":
        from yiwang.contexts.exchange.actions_monitor import request_oversight_rows

        return [
            r for r in request_oversight_rows(session) if region_covers(actor.region_code or "", r.row_scope)
        ]
    source = repo.requests(session, None, "all", status)
    return views(session, [r for r in source if region_covers(actor.region_code or "", r.row_scope)])


def views(session: Session, rows: list[SharingRequest]) -> list[RequestOut]:
    grants = repo.grant_ids_of_requests(session, [r.id for r in rows])
    found = cases.cases_of(session, rows)
    return [request_view(session, r, grants.get(r.id), found.get(str(r.id))) for r in rows]


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
