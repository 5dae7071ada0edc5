"""Subscriptions to a resource's changes under a grant: webhooks (pushed by `delivery`) and
a pull feed. Each action starts with authz.check; the adapter owns the transaction."""

from __future__ import annotations

import hashlib
import time
import uuid

from sqlalchemy.orm import Session

from yiwang.contexts import catalog
from yiwang.contexts.exchange import delivery
from yiwang.contexts.exchange import repository as repo
from yiwang.contexts.exchange.governance import MAX_PAGE, UseContext, account_read, pick_grant, shape_row
from yiwang.contexts.exchange.models import Grant, Subscription
from yiwang.contexts.exchange.policies import UseTarget, grant_refusal
from yiwang.contexts.exchange.schemas_subscriptions import (
    ChangeOut,
    ChangesOut,
    DeliveryOut,
    ReplayOut,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
)
from yiwang.core import audit, authz
from yiwang.core.actor import Actor
from yiwang.core.db import utcnow
from yiwang.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from yiwang.core.workdays import local_day

MAX_REPLAY = 10_000


def _today_target(grant: Grant | None) -> UseTarget:
    return UseTarget(grant, local_day(utcnow()))


def _use_target(session: Session, actor: Actor, code: str) -> tuple[catalog.ResourceInfo, UseTarget]:
    resource = catalog.resource_for_exchange(session, code)
    if resource is None:
        raise ValidationFailed("信息资源不存在", [FieldError("resource_code", "信息资源不存在", "unknown")])
    return resource, _today_target(pick_grant(session, actor, resource))


def _owned(
    session: Session, subscription_id: int, active_only: bool = True, lock: bool = False
) -> tuple[Subscription, Grant]:
    sub = (repo.subscription_for_update if lock else repo.subscription)(session, subscription_id)
    grant = repo.grant(session, sub.grant_id) if sub else None
    if sub is None or grant is None or (active_only and not sub.active):
        raise NotFound("订阅不存在或已取消")
    return sub, grant


def subscription_view(session: Session, sub: Subscription, grant: Grant) -> SubscriptionOut:
    res = catalog.resource_for_exchange(session, grant.resource_id)
    return SubscriptionOut(
        id=sub.id, resource_code=res.code if res else "", grant_id=grant.id, callback_url=sub.callback_url,
        active=sub.active, created_by=sub.created_by, created_at=sub.created_at,
    )  # fmt: skip


def subscription_create(session: Session, actor: Actor, data: SubscriptionIn) -> SubscriptionCreated:
    """Subscribe the department's valid grant on a resource; the signing secret is returned once."""
    resource, target = _use_target(session, actor, data.resource_code)
    authz.check(actor, "exchange.subscription_create", target)
    grant = target.grant
    bad = delivery.callback_error(data.callback_url)
    if bad:
        raise ValidationFailed(bad[0], [FieldError("callback_url", bad[0], bad[1])])
    secret, secret_enc = delivery.new_secret()
    sub = Subscription(grant_id=grant.id, callback_url=data.callback_url, secret_enc=secret_enc, active=True,
                       created_by=actor.label, created_at=utcnow())  # fmt: skip
    repo.add(session, sub)
    audit.record(session, actor, "exchange.subscription_create", "subscription", sub.id,
                 detail={"resource": resource.code, "grant": grant.id, "callback_url": data.callback_url})  # fmt: skip
    return SubscriptionCreated(**subscription_view(session, sub, grant).model_dump(), secret=secret)


def subscription_list(session: Session, actor: Actor) -> list[SubscriptionOut]:
    """The active subscriptions of the actor's department."""
    authz.check(actor, "exchange.subscription_list", None)
    assert actor.department_id is not None
    return [
        subscription_view(session, s, g)
        for s, g in repo.subscriptions_of_department(session, actor.department_id)
    ]


def subscription_delete(session: Session, actor: Actor, subscription_id: int) -> None:
    """Cancel a subscription; deliveries not yet made are dropped."""
    sub, grant = _owned(session, subscription_id, lock=True)
    authz.check(actor, "exchange.subscription_manage", _today_target(grant))
    sub.active = False
    session.flush()
    dropped = repo.drop_open_deliveries(session, sub.id, "订阅已取消")
    audit.record(session, actor, "exchange.subscription_delete", "subscription", sub.id,
                 detail={"dropped_deliveries": dropped})  # fmt: skip


def delivery_list(
    session: Session, actor: Actor, subscription_id: int, status: str | None = None, limit: int = 100
) -> list[DeliveryOut]:
    """A subscription's deliveries, newest first; `status='dead'` is the dead-letter list."""
    _sub, grant = _owned(session, subscription_id, active_only=False)
    authz.check(actor, "exchange.subscription_manage", _today_target(grant))
    rows = repo.deliveries(session, subscription_id, status, min(limit, 500))
    return [DeliveryOut(id=d.id, change_seq=d.change_seq, attempt_set=d.attempt_set, status=d.status,
                        attempts=d.attempts, next_attempt_at=d.next_attempt_at, last_error=d.last_error,
                        delivered_at=d.delivered_at) for d in rows]  # fmt: skip


def subscription_replay(session: Session, actor: Actor, subscription_id: int, after_seq: int) -> ReplayOut:
    """Queue every change after a cursor again (within the grant's scope) as a new attempt set."""
    sub, grant = _owned(session, subscription_id, lock=True)
    authz.check(actor, "exchange.subscription_manage", _today_target(grant))
    refusal = grant_refusal(grant, local_day(utcnow()))
    if refusal:
        raise Forbidden(refusal)
    attempt_set = repo.max_attempt_set(session, sub.id) + 1
    changes = repo.changes_in_scope(session, grant.resource_id, grant.row_scope, after_seq, MAX_REPLAY)
    if not changes:
        raise Conflict(f"序号 {after_seq} 之后没有可重放的变更")
    n = delivery.enqueue(session, [(sub.id, c.seq) for c in changes], attempt_set, utcnow())
    audit.record(session, actor, "exchange.subscription_replay", "subscription", sub.id,
                 detail={"after_seq": after_seq, "attempt_set": attempt_set, "enqueued": n})  # fmt: skip
    return ReplayOut(subscription_id=sub.id, attempt_set=attempt_set, enqueued=n, last_seq=changes[-1].seq)


def subscription_changes(
    session: Session, actor: Actor, subscription_id: int, after: int, limit: int
) -> ChangesOut:
    """Pull feed: changes after a cursor, each with the record as it is now, through the grant
    (granted fields, masked as granted, rows in scope); counted, logged and audited as a read."""
    _sub, grant = _owned(session, subscription_id)
    authz.check(actor, "exchange.subscription_pull", _today_target(grant))
    resource = catalog.resource_for_exchange(session, grant.resource_id)
    if resource is None:
        raise NotFound("信息资源已下线")
    changes = repo.changes_in_scope(session, resource.id, grant.row_scope, after, min(limit, MAX_PAGE))
    got = delivery.governed_records(session, resource, grant, sorted({c.record_id for c in changes}))
    if got is None:
        raise Forbidden("授权的信息项已不在资源中，请重新申请")
    plan, rows = got
    ctx = UseContext(
        end_user=actor.on_behalf_of or "", case_id=f"subscription:{subscription_id}", purpose=None,
        nonce=f"pull:{uuid.uuid4().hex}",
        request_hash=hashlib.sha256(f"{subscription_id}:{after}:{limit}".encode()).hexdigest(),
        started=time.perf_counter(),
    )  # fmt: skip
    account_read(session, actor, ctx, resource, grant, "pull", plan, 0, list(rows.values()))
    out = [ChangeOut(seq=c.seq, op=c.op, at=c.at, record=shape_row(resource, plan, rows[c.record_id]))
           for c in changes if c.record_id in rows]  # fmt: skip
    return ChangesOut(resource=resource.code, fields=list(plan.fields), masked=list(plan.masked), changes=out,
                      next_after=changes[-1].seq if changes else after)  # fmt: skip
