"""Using shared data: lookup, batch lookup, filtered query and verify, all under a grant.

Each read compiles the grant to SQL (granted columns, WHERE region in scope, keys), counts
the daily quota atomically, logs the call in the usage log and writes one audit record per
person or enterprise the answer is about, all in the caller's transaction.

Lookup and batch, most of the API's traffic, are coroutines: from a request they run on the
event loop and await their one SELECT there (`core.reads`), with no thread; from any other
caller they read in the caller's session.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwang.contexts.exchange import repository as repo
from yiwang.contexts.exchange.governance import (
    MAX_BATCH,
    MAX_PAGE,
    Plan,
    UseContext,
    account_read,
    field_types,
    key_value,
    read_plan,
    shape_row,
    shape_rows,
    use_target,
    use_target_async,
)
from yiwang.contexts.exchange.schemas import BatchOut, RecordsOut, VerifyOut
from yiwang.core import authz, codes
from yiwang.core.actor import Actor
from yiwang.core.errors import FieldError, Forbidden, NotFound, ValidationFailed

__all__ = ["UseContext", "record_batch", "record_lookup", "record_query", "record_verify"]


async def record_lookup(
    session: Session, actor: Actor, code: str, key: str, wanted: list[str] | None, ctx: UseContext
) -> RecordsOut:
    resource, target = await use_target_async(session, actor, code)
    authz.check(actor, "exchange.record_read", target)
    grant = target.grant
    plan = read_plan(resource, grant, wanted)
    wanted_key = key_value(resource, key)
    rows = await repo.read_by_keys(session, resource.source_table, plan.fields, field_types(resource),
                                   plan.row_scope, resource.key_field, [wanted_key])  # fmt: skip
    if not rows:
        raise NotFound("未找到该记录，或记录不在授权的数据范围内")
    account_read(session, actor, ctx, resource, grant, "lookup", plan, 1, rows)
    return RecordsOut.model_construct(resource=resource.code, fields=list(plan.fields), masked=list(plan.masked),
                                      records=shape_rows(resource, plan, rows))  # fmt: skip


async def record_batch(
    session: Session, actor: Actor, code: str, keys: list[str], wanted: list[str] | None, ctx: UseContext
) -> BatchOut:
    resource, target = await use_target_async(session, actor, code)
    authz.check(actor, "exchange.record_read", target)
    grant = target.grant
    if len(keys) > MAX_BATCH:
        msg = f"批量查询一次最多 {MAX_BATCH} 个主键"
        raise ValidationFailed(msg, [FieldError("keys", msg, "too_long")])
    plan = read_plan(resource, grant, wanted)
    by_value: dict[str, str] = {}
    for i, k in enumerate(keys):
        by_value[key_value(resource, k, f"keys.{i}")] = k
    rows = await repo.read_by_keys(session, resource.source_table, plan.fields, field_types(resource),
                                   plan.row_scope, resource.key_field, list(by_value))  # fmt: skip
    account_read(session, actor, ctx, resource, grant, "batch", plan, len(by_value), rows)
    kind = resource.fields[resource.key_field].data_type
    found = {r[f"{resource.key_field}_idx"] if kind == "id_number" else r[resource.key_field] for r in rows}
    missing = [k for v, k in by_value.items() if v not in found]
    # built from the plan and our own rows: nothing for pydantic to validate (up to 1,000 records)
    return BatchOut.model_construct(resource=resource.code, fields=list(plan.fields), masked=list(plan.masked),
                                    records=shape_rows(resource, plan, rows), not_found=missing)  # fmt: skip


def record_query(
    session: Session, actor: Actor, code: str, filters: dict[str, str], wanted: list[str] | None,
    after_id: int, limit: int, ctx: UseContext,
) -> tuple[RecordsOut, int | None]:  # fmt: skip
    resource, target = use_target(session, actor, code)
    authz.check(actor, "exchange.record_read", target)
    grant = target.grant
    plan = read_plan(resource, grant, wanted)
    masked = set(grant.masked_fields or [])
    bad = [f for f in filters if f not in grant.fields or f in masked or resource.fields.get(f) is None
           or resource.fields[f].data_type == "id_number"]  # fmt: skip
    if bad:
        msg = f"只能按已授权、未脱敏的非证件号信息项筛选：{'、'.join(bad)}"
        raise ValidationFailed(msg, [FieldError(f, msg, "not_filterable") for f in bad])
    limit = min(limit, MAX_PAGE)
    stmt = repo.governed_select(resource.source_table, plan.fields, field_types(resource), plan.row_scope,
                                filters=filters, after_id=after_id, limit=limit)  # fmt: skip
    rows = repo.fetch(session, stmt)
    account_read(session, actor, ctx, resource, grant, "query", plan, 0, rows)
    out = RecordsOut.model_construct(resource=resource.code, fields=list(plan.fields), masked=list(plan.masked),
                                     records=shape_rows(resource, plan, rows))  # fmt: skip
    return out, rows[-1]["id"] if len(rows) == limit else None


def record_verify(
    session: Session, actor: Actor, code: str, key: str, values: dict[str, str], ctx: UseContext
) -> VerifyOut:
    """数据核验: answer only whether the submitted values match; return no data."""
    resource, target = use_target(session, actor, code)
    authz.check(actor, "exchange.record_read", target)
    grant = target.grant
    plan = read_plan(resource, grant, list(values))
    if plan.masked:  # a masked value must not be learnable by guessing it
        raise Forbidden(f"不能核验脱敏的信息项：{'、'.join(plan.masked)}")
    wanted_key = key_value(resource, key)
    rows = repo.fetch_by_keys(session, resource.source_table, plan.fields, field_types(resource), plan.row_scope,
                              resource.key_field, [wanted_key])  # fmt: skip
    clear = Plan(clear=plan.fields, masked=(), row_scope=plan.row_scope)
    match = bool(rows) and any(
        all(str(shape_row(resource, clear, r)[f] or "") == codes.compact(v) if resource.fields[f].data_type in
            ("id_number", "credit_code") else str(shape_row(resource, clear, r)[f] or "") == v.strip()
            for f, v in values.items())
        for r in rows
    )  # fmt: skip
    account_read(session, actor, ctx, resource, grant, "verify", plan, 1, rows)
    return VerifyOut(match=match)
