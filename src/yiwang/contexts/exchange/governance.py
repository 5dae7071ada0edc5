"""The governance of every use of shared data, shared by reads, pulls and pushes: pick the
grant, turn it into a read plan, shape rows (decrypt, mask) and account for the call (usage
log + one audit record per subject, replay check and quota, group-committed: `accounting`)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import anyio
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from yiwang.contexts import catalog
from yiwang.contexts.exchange import repository as repo
from yiwang.contexts.exchange.accounting import USES, Use
from yiwang.contexts.exchange.masking import mask_value
from yiwang.contexts.exchange.models import Grant
from yiwang.contexts.exchange.policies import Plan, UseTarget, grant_refusal, plan_read
from yiwang.contexts.exchange.sources import SOURCE_TABLES
from yiwang.core import audit, codes, crypto, deferred, group_commit, reads
from yiwang.core.actor import Actor
from yiwang.core.cache import TTLCache
from yiwang.core.db import utcnow
from yiwang.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from yiwang.core.workdays import local_day

MAX_BATCH = 1000
MAX_PAGE = 200


@dataclass(frozen=True)
class UseContext:
    """What every call on shared data must say about itself (X-Road style headers)."""

    end_user: str
    case_id: str
    purpose: str | None
    nonce: str
    request_hash: str
    started: float


def resource_info(session: Session, code: str) -> catalog.ResourceInfo:
    res = catalog.resource_for_exchange(session, code)
    if res is None:
        raise NotFound(f"信息资源 {code} 不存在")
    if not serves(res):
        raise Conflict(f"信息资源 {code} 尚未接入可用的数据源")
    return res


def serves(resource: catalog.ResourceInfo) -> bool:
    """Whether the resource's source table exists and has a column for every catalogued field."""
    return _serves(resource.source_table, tuple((n, f.data_type) for n, f in resource.fields.items()))


@lru_cache(maxsize=256)
def _serves(source_table: str, fields: tuple[tuple[str, str], ...]) -> bool:
    table = SOURCE_TABLES.get(source_table)
    if table is None:
        return False
    names = set(table.c.keys())
    return all(({f"{n}_enc", f"{n}_idx"} if kind == "id_number" else {n}) <= names for n, kind in fields)


_usable: TTLCache[tuple[int, int], Grant] = TTLCache()


def pick_grant(session: Session, actor: Actor, resource: catalog.ResourceInfo) -> Grant | None:
    """The department's usable grant for the resource, else its latest one (to name the refusal).
    A usable grant is cached per process for `cache_seconds`; that it is still in force (not
    revoked meanwhile) is checked again when the call is accounted for, before it answers."""
    if actor.department_id is None:
        return None
    today = local_day(utcnow())
    hit = _cached_grant(actor.department_id, resource, today)
    if hit is not None:
        return hit
    grants = repo.grants_for(session, actor.department_id, resource.id)
    usable = next((g for g in grants if grant_refusal(g, today) is None), None)
    if usable is not None:
        _usable.put((actor.department_id, resource.id), _detached(usable))
        return usable
    return grants[0] if grants else None


def _cached_grant(department_id: int, resource: catalog.ResourceInfo, today: date) -> Grant | None:
    hit = _usable.get((department_id, resource.id))
    return hit if hit is not None and grant_refusal(hit, today) is None else None


def _detached(g: Grant) -> Grant:
    """A copy belonging to no session: a rollback elsewhere cannot expire what the cache holds."""
    return Grant(**{a.key: getattr(g, a.key) for a in sa_inspect(Grant).column_attrs})


def forget_grants() -> None:
    """After a grant was approved or revoked in this process (deferred past the commit)."""
    deferred.defer(_usable.clear)


def use_target(session: Session, actor: Actor, code: str) -> tuple[catalog.ResourceInfo, UseTarget]:
    resource = resource_info(session, code)
    return resource, UseTarget(pick_grant(session, actor, resource), local_day(utcnow()))


async def use_target_async(
    session: Session, actor: Actor, code: str
) -> tuple[catalog.ResourceInfo, UseTarget]:
    """`use_target` for a route on the event loop: from the per-process caches when they hold
    the catalog entry and a usable grant (most calls), else through the database, in a thread
    for a request's read session (`core.reads`)."""
    hit = _cached_target(actor, code)
    if hit is not None:
        return hit
    if not session.info.get(reads.READ_SESSION):
        return use_target(session, actor, code)
    # When the entries expire, every call in flight misses at once (32 at 32 connections, every
    # `cache_seconds`): one of them loads them, the others wait for it and read the cache.
    key, loop = (actor.department_id, code), asyncio.get_running_loop()
    loading = _loading.get(key)
    if loading is not None and loading.get_loop() is loop:
        await asyncio.shield(loading)  # a waiter that gives up must not cancel the others' load
        hit = _cached_target(actor, code)
        if hit is not None:
            return hit
        return await anyio.to_thread.run_sync(use_target, session, actor, code)  # nothing usable cached
    loading = _loading[key] = loop.create_future()
    try:
        return await anyio.to_thread.run_sync(use_target, session, actor, code)
    finally:
        if _loading.get(key) is loading:
            del _loading[key]
        loading.set_result(None)


_loading: dict[tuple[int | None, str], asyncio.Future[None]] = {}  # misses being loaded, on a loop's thread


def _cached_target(actor: Actor, code: str) -> tuple[catalog.ResourceInfo, UseTarget] | None:
    """The catalog entry and a usable grant, when the per-process caches hold both."""
    resource = catalog.cached_resource_for_exchange(code)
    if resource is None or actor.department_id is None or not serves(resource):
        return None
    today = local_day(utcnow())
    grant = _cached_grant(actor.department_id, resource, today)
    return (resource, UseTarget(grant, today)) if grant is not None else None


def read_plan(resource: catalog.ResourceInfo, grant: Grant, wanted: list[str] | None) -> Plan:
    plan = plan_read(list(resource.fields), grant, wanted)
    if isinstance(plan, Plan):
        return plan
    kind, names = plan
    if kind == "unknown":
        msg = f"资源没有这些信息项：{'、'.join(names)}"
        raise ValidationFailed(msg, [FieldError("fields", msg, "unknown")])
    raise Forbidden(f"这些信息项不在授权范围内：{'、'.join(names)}")


def key_value(resource: catalog.ResourceInfo, key: str, field: str = "key") -> str:
    kind = resource.fields[resource.key_field].data_type
    value = codes.compact(key)
    check = codes.ric_error if kind == "id_number" else codes.uscc_error if kind == "credit_code" else None
    err = check(value) if check else None
    if err:
        raise ValidationFailed(err, [FieldError(field, err)])
    return crypto.blind_index(value, "ric") if kind == "id_number" else value


def field_types(resource: catalog.ResourceInfo) -> dict[str, str]:
    return {name: f.data_type for name, f in resource.fields.items()}


def shape_row(resource: catalog.ResourceInfo, plan: Plan, row: dict[str, Any]) -> dict[str, Any]:
    return shape_rows(resource, plan, [row])[0]


def shape_rows(
    resource: catalog.ResourceInfo, plan: Plan, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The answer's records: identity numbers decrypted, the plan's masked fields masked, dates
    as ISO text. What to do with each field is worked out once for all rows (a batch has up to
    1,000)."""
    masked = set(plan.masked)
    steps = [(name, resource.fields[name].data_type, name in masked) for name in plan.fields]
    out = []
    for row in rows:
        shaped: dict[str, Any] = {}
        for name, kind, hide in steps:
            if kind == "id_number":
                enc, idx = row[f"{name}_enc"], row[f"{name}_idx"]
                value: Any = crypto.decrypt(enc, idx.encode()) if enc is not None else None
            else:
                value = row[name]
            if hide:
                value = mask_value(kind, value)
            elif isinstance(value, date):
                value = value.isoformat()
            shaped[name] = value
        out.append(shaped)
    return out


def account_read(
    session: Session, actor: Actor, ctx: UseContext, resource: catalog.ResourceInfo, grant: Grant, op: str,
    plan: Plan, keys: int, rows: list[dict[str, Any]],
) -> None:  # fmt: skip
    """Log the call and audit each subject, durably before the answer; the replay check, the
    grant still in force and the quota are decided there too (`accounting`, group-committed).
    The audit detail names the fields answered and which of them were masked: the person sees
    both on 我的数据."""
    purpose = ctx.purpose or grant.purpose
    plan_fields = list(plan.fields)
    audit_rows = audit.prepare_many(
        actor, f"exchange.record_{op}",
        [(resource.source_table, r["id"], r["subject_person_id"], r["subject_enterprise_id"]) for r in rows],
        purpose=purpose,
        detail={"resource": resource.code, "resource_name": resource.name, "fields": plan_fields,
                "labels": [resource.fields[f].label for f in plan_fields], "masked": list(plan.masked),
                "case_id": ctx.case_id, "grant": grant.id},
    )  # fmt: skip
    usage = {
        "at": utcnow(), "consumer": actor.label, "consumer_department_id": actor.department_id,
        "end_user": ctx.end_user, "case_id": ctx.case_id, "purpose": purpose, "resource_id": resource.id,
        "grant_id": grant.id, "operation": op, "fields": plan_fields, "keys": keys, "rows": len(rows),
        "status": 200, "refusal": None, "request_hash": ctx.request_hash, "nonce": ctx.nonce,
        "latency_ms": round((time.perf_counter() - ctx.started) * 1000, 3),
    }  # fmt: skip
    use = Use(usage=usage, audit_rows=audit_rows, grant_id=grant.id, day=local_day(utcnow()),
              count=max(keys, len(rows), 1), quota=grant.daily_quota)  # fmt: skip
    group_commit.submit(session, USES, use)
