"""A provider changes its source data: the row, its change_log entry and the event
`yiwang.exchange.record.changed` are written in one transaction; the exchange's webhook
subscriber (`exchange/events.py`) then queues a delivery for every subscription that may see
the row."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from yiwang.contexts import catalog, identity
from yiwang.contexts.exchange import repository as repo
from yiwang.contexts.exchange.events import RECORD_CHANGED, RecordChanged, subscribed
from yiwang.contexts.exchange.policies import ProviderTarget
from yiwang.contexts.exchange.schemas_subscriptions import SourceUpsertOut
from yiwang.core import audit, authz, codes, crypto, events
from yiwang.core.actor import Actor
from yiwang.core.codes import region_covers
from yiwang.core.db import utcnow
from yiwang.core.errors import FieldError, NotFound, ValidationFailed
from yiwang.core.workdays import local_day

MAX_TEXT = 200


def _provider_target(session: Session, code: str) -> ProviderTarget:
    resource = catalog.resource_for_exchange(session, code)
    if resource is None:
        raise NotFound(f"信息资源 {code} 不存在")
    return ProviderTarget(resource.provider_department_id)


def _value(name: str, kind: str, raw: Any, errors: list[FieldError]) -> Any:
    """One field's value, validated by data type (errors collected, keyed by field)."""
    if raw is None or raw == "":
        return None
    if kind in ("integer", "money"):
        if isinstance(raw, bool) or not isinstance(raw, int):
            errors.append(FieldError(name, "应为整数", "int_type"))
        return raw
    if not isinstance(raw, str):
        errors.append(FieldError(name, "应为文本", "string_type"))
        return None
    if kind == "date":
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors.append(FieldError(name, "日期格式应为 YYYY-MM-DD", "date_parsing"))
            return None
    if kind in ("id_number", "credit_code"):
        value = codes.compact(raw)
        err = codes.ric_error(value) if kind == "id_number" else codes.uscc_error(value)
        if err:
            errors.append(FieldError(name, err))
        return value
    if len(raw) > MAX_TEXT:
        errors.append(FieldError(name, "内容过长", "string_too_long"))
    return raw.strip()


def _columns(resource: catalog.ResourceInfo, values: dict[str, Any]) -> dict[str, Any]:
    """Source-table columns for a full record (PUT semantics: fields left out become empty)."""
    errors = [FieldError(k, "资源没有这个信息项", "unknown") for k in values if k not in resource.fields]
    parsed = {
        name: _value(name, f.data_type, values.get(name), errors) for name, f in resource.fields.items()
    }
    for required in dict.fromkeys((resource.key_field, "region_code")):
        if parsed.get(required) is None and required in resource.fields:
            errors.append(FieldError(required, "此项为必填项", "missing"))
    region = parsed.get("region_code")
    if region is not None and not (str(region).isdigit() and len(str(region)) in (6, 9, 12)):
        errors.append(FieldError("region_code", "行政区划代码应为 6、9 或 12 位数字"))
    if errors:
        raise ValidationFailed("提交的数据有误，请按提示修改", errors)
    cols: dict[str, Any] = {}
    for name, value in parsed.items():
        if resource.fields[name].data_type == "id_number":
            idx = crypto.blind_index(value, "ric") if value else None
            cols[f"{name}_enc"] = crypto.encrypt(value, idx.encode()) if value and idx else None
            cols[f"{name}_idx"] = idx
        else:
            cols[name] = value
    return cols


def source_record_upsert(
    session: Session, actor: Actor, resource_code: str, values: dict[str, Any]
) -> SourceUpsertOut:
    """Insert or replace one record of a resource the actor's department provides."""
    authz.check(actor, "exchange.source_record_upsert", _provider_target(session, resource_code))
    resource = catalog.resource_for_exchange(session, resource_code)
    assert resource is not None
    cols = _columns(resource, values)
    provider = identity.department(session, resource.provider_department_id)
    region = str(cols["region_code"])
    if provider is not None and not region_covers(provider.region_code, region):
        msg = "记录所属区域不在提供部门的管辖范围内"
        raise ValidationFailed(msg, [FieldError("region_code", msg, "out_of_scope")])
    key_kind = resource.fields[resource.key_field].data_type
    key_col = f"{resource.key_field}_idx" if key_kind == "id_number" else resource.key_field
    if resource.subject == "person" and key_kind == "id_number":
        found = identity.person_ids_by_id_numbers(session, [codes.compact(values[resource.key_field])])
        cols["subject_person_id"] = next(iter(found.values()), None)
    elif resource.subject == "enterprise" and key_kind == "credit_code":
        found = identity.enterprise_ids_by_codes(session, [cols[key_col]])
        cols["subject_enterprise_id"] = next(iter(found.values()), None)
    now = utcnow()
    cols["updated_at"] = now
    record_id = repo.source_upsert(session, resource.source_table, key_col, cols[key_col], cols)
    repo.lock_resource_changes(session, resource.id)
    change = repo.record_change(session, resource.id, record_id, "upsert", region)
    queued = len(subscribed(session, resource.id, region, local_day(now)))
    events.emit(session, RECORD_CHANGED, f"record/{resource.code}/{record_id}", RecordChanged(
        resource=resource.code, resource_id=resource.id, record_id=record_id, seq=change.seq, op="upsert",
        region_code=region,
    ))  # fmt: skip
    audit.record(session, actor, "exchange.source_record_upsert", resource.source_table, record_id,
                 subject_person_id=cols.get("subject_person_id"),
                 subject_enterprise_id=cols.get("subject_enterprise_id"),
                 detail={"resource": resource.code, "seq": change.seq, "fields": sorted(values),
                         "deliveries": queued})  # fmt: skip
    return SourceUpsertOut(resource=resource.code, record_id=record_id, seq=change.seq, deliveries=queued)
