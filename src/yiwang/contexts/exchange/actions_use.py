"""Using shared data: lookup, batch lookup, filtered query and verify, all under a grant.

Each read compiles the grant to SQL (granted columns, WHERE region in scope, keys), counts
the daily quota atomically, logs the call in the usage log and writes one audit record per
person or enterprise the answer is about, all in the caller's transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from yiwang.contexts import catalog
from yiwang.contexts.exchange import repository as repo
from yiwang.contexts.exchange.masking import mask_value
from yiwang.contexts.exchange.models import Grant
from yiwang.contexts.exchange.policies import Plan, UseTarget, grant_refusal, plan_read
from yiwang.contexts.exchange.schemas import BatchOut, RecordsOut, VerifyOut
from yiwang.core import audit, authz, codes, crypto
from yiwang.core.actor import Actor
from yiwang.core.db import utcnow
from yiwang.core.errors import Conflict, FieldError, Forbidden, NotFound, TooManyRequests, ValidationFailed
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


def _resource(session: Session, code: str) -> catalog.ResourceInfo:
    res = catalog.resource_for_exchange(session, code)
    if res is None:
        raise NotFound(f"信息资源 {code} 不存在")
    return res


def _pick_grant(session: Session, actor: Actor, resource: catalog.ResourceInfo) -> Grant | None:
    """The department's usable grant for the resource, else its latest one (to name the refusal)."""
    if actor.department_id is None:
        return None
    grants = repo.grants_for(session, actor.department_id, resource.id)
    today = local_day(utcnow())
    return next((g for g in grants if grant_refusal(g, today) is None), grants[0] if grants else None)


def _target(session: Session, actor: Actor, code: str) -> tuple[catalog.ResourceInfo, UseTarget]:
    resource = _resource(session, code)
    return resource, UseTarget(_pick_grant(session, actor, resource), local_day(utcnow()))


def _plan(resource: catalog.ResourceInfo, grant: Grant, wanted: list[str] | None) -> Plan:
    plan = plan_read(list(resource.fields), grant, wanted)
    if isinstance(plan, Plan):
        return plan
    kind, names = plan
    if kind == "unknown":
        msg = f"资源没有这些信息项：{'、'.join(names)}"
        raise ValidationFailed(msg, [FieldError("fields", msg, "unknown")])
    raise Forbidden(f"这些信息项不在授权范围内：{'、'.join(names)}")


def _prepare(session: Session, actor: Actor, ctx: UseContext, grant: Grant, n: int) -> None:
    consumer = actor.label
    if repo.nonce_seen(session, consumer, ctx.nonce):
        raise Conflict("重复的请求（请求编号已使用），疑似重放，已拒绝")
    if not repo.consume_quota(session, grant.id, local_day(utcnow()), n, grant.daily_quota):
        err = TooManyRequests(f"已超出授权的每日调用量（{grant.daily_quota} 条）")
        err.retry_after = 3600
        raise err


def _key_value(resource: catalog.ResourceInfo, key: str, field: str = "key") -> str:
    kind = resource.fields[resource.key_field].data_type
    value = codes.compact(key)
    check = codes.ric_error if kind == "id_number" else codes.uscc_error if kind == "credit_code" else None
    err = check(value) if check else None
    if err:
        raise ValidationFailed(err, [FieldError(field, err)])
    return crypto.blind_index(value, "ric") if kind == "id_number" else value


def _types(resource: catalog.ResourceInfo) -> dict[str, str]:
    return {name: f.data_type for name, f in resource.fields.items()}


def _shape(resource: catalog.ResourceInfo, plan: Plan, row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in plan.fields:
        kind = resource.fields[name].data_type
        if kind == "id_number":
            enc, idx = row[f"{name}_enc"], row[f"{name}_idx"]
            value: Any = crypto.decrypt(enc, idx.encode()) if enc is not None else None
        else:
            value = row[name]
        if name in plan.masked:
            value = mask_value(kind, value)
        elif isinstance(value, date):
            value = value.isoformat()
        out[name] = value
    return out


def _account(
    session: Session, actor: Actor, ctx: UseContext, resource: catalog.ResourceInfo, grant: Grant, op: str,
    plan_fields: list[str], keys: int, rows: list[dict[str, Any]],
) -> None:  # fmt: skip
    purpose = ctx.purpose or grant.purpose
    audit.record_many(
        session, actor, f"exchange.record_{op}",
        [(resource.source_table, r["id"], r["subject_person_id"], r["subject_enterprise_id"]) for r in rows],
        purpose=purpose,
        detail={"resource": resource.code, "fields": plan_fields, "case_id": ctx.case_id, "grant": grant.id},
    )  # fmt: skip
    repo.log_usage(session, {
        "at": utcnow(), "consumer": actor.label, "consumer_department_id": actor.department_id,
        "end_user": ctx.end_user, "case_id": ctx.case_id, "purpose": purpose, "resource_id": resource.id,
        "grant_id": grant.id, "operation": op, "fields": plan_fields, "keys": keys, "rows": len(rows),
        "status": 200, "refusal": None, "request_hash": ctx.request_hash, "nonce": ctx.nonce,
        "latency_ms": round((time.perf_counter() - ctx.started) * 1000, 3),
    })  # fmt: skip


def record_lookup(
    session: Session, actor: Actor, code: str, key: str, wanted: list[str] | None, ctx: UseContext
) -> RecordsOut:
    resource, target = _target(session, actor, code)
    authz.check(actor, "exchange.record_read", target)
    grant = target.grant
    plan = _plan(resource, grant, wanted)
    key_value = _key_value(resource, key)
    _prepare(session, actor, ctx, grant, 1)
    stmt = repo.governed_select(resource.source_table, plan.fields, _types(resource), plan.row_scope,
                                resource.key_field, [key_value])  # fmt: skip
    rows = repo.fetch(session, stmt)
    if not rows:
        raise NotFound("未找到该记录，或记录不在授权的数据范围内")
    _account(session, actor, ctx, resource, grant, "lookup", list(plan.fields), 1, rows)
    return RecordsOut(resource=resource.code, fields=list(plan.fields), masked=list(plan.masked),
                      records=[_shape(resource, plan, r) for r in rows])  # fmt: skip


def record_batch(
    session: Session, actor: Actor, code: str, keys: list[str], wanted: list[str] | None, ctx: UseContext
) -> BatchOut:
    resource, target = _target(session, actor, code)
    authz.check(actor, "exchange.record_read", target)
    grant = target.grant
    if len(keys) > MAX_BATCH:
        msg = f"批量查询一次最多 {MAX_BATCH} 个主键"
        raise ValidationFailed(msg, [FieldError("keys", msg, "too_long")])
    plan = _plan(resource, grant, wanted)
    by_value: dict[str, str] = {}
    for i, k in enumerate(keys):
        by_value[_key_value(resource, k, f"keys.{i}")] = k
    _prepare(session, actor, ctx, grant, len(by_value))
    stmt = repo.governed_select(resource.source_table, plan.fields, _types(resource), plan.row_scope,
                                resource.key_field, list(by_value))  # fmt: skip
    rows = repo.fetch(session, stmt)
    _account(session, actor, ctx, resource, grant, "batch", list(plan.fields), len(by_value), rows)
    kind = resource.fields[resource.key_field].data_type
    found = {r[f"{resource.key_field}_idx"] if kind == "id_number" else r[resource.key_field] for r in rows}
    missing = [k for v, k in by_value.items() if v not in found]
    return BatchOut(resource=resource.code, fields=list(plan.fields), masked=list(plan.masked),
                    records=[_shape(resource, plan, r) for r in rows], not_found=missing)  # fmt: skip


def record_query(
    session: Session, actor: Actor, code: str, filters: dict[str, str], wanted: list[str] | None,
    after_id: int, limit: int, ctx: UseContext,
) -> tuple[RecordsOut, int | None]:  # fmt: skip
    resource, target = _target(session, actor, code)
    authz.check(actor, "exchange.record_read", target)
    grant = target.grant
    plan = _plan(resource, grant, wanted)
    bad = [f for f in filters if f not in grant.fields or resource.fields.get(f) is None
           or resource.fields[f].data_type == "id_number"]  # fmt: skip
    if bad:
        msg = f"只能按已授权的非证件号信息项筛选：{'、'.join(bad)}"
        raise ValidationFailed(msg, [FieldError(f, msg, "not_filterable") for f in bad])
    limit = min(limit, MAX_PAGE)
    _prepare(session, actor, ctx, grant, limit)
    stmt = repo.governed_select(resource.source_table, plan.fields, _types(resource), plan.row_scope,
                                filters=filters, after_id=after_id, limit=limit)  # fmt: skip
    rows = repo.fetch(session, stmt)
    _account(session, actor, ctx, resource, grant, "query", list(plan.fields), 0, rows)
    out = RecordsOut(resource=resource.code, fields=list(plan.fields), masked=list(plan.masked),
                     records=[_shape(resource, plan, r) for r in rows])  # fmt: skip
    return out, rows[-1]["id"] if len(rows) == limit else None


def record_verify(
    session: Session, actor: Actor, code: str, key: str, values: dict[str, str], ctx: UseContext
) -> VerifyOut:
    """数据核验: answer only whether the submitted values match; return no data."""
    resource, target = _target(session, actor, code)
    authz.check(actor, "exchange.record_read", target)
    grant = target.grant
    plan = _plan(resource, grant, list(values))
    key_value = _key_value(resource, key)
    _prepare(session, actor, ctx, grant, 1)
    stmt = repo.governed_select(resource.source_table, plan.fields, _types(resource), plan.row_scope,
                                resource.key_field, [key_value])  # fmt: skip
    rows = repo.fetch(session, stmt)
    clear = Plan(clear=plan.fields, masked=(), row_scope=plan.row_scope)
    match = bool(rows) and any(
        all(str(_shape(resource, clear, r)[f] or "") == codes.compact(v) if resource.fields[f].data_type in
            ("id_number", "credit_code") else str(_shape(resource, clear, r)[f] or "") == v.strip()
            for f, v in values.items())
        for r in rows
    )  # fmt: skip
    _account(session, actor, ctx, resource, grant, "verify", list(plan.fields), 1, rows)
    return VerifyOut(match=match)
