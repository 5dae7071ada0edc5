"""谁使用了我的数据: an audit record as the person reads it, and repeated uses taken together."""

from __future__ import annotations

from typing import Any

from yiwang.core.audit import AuditRecord
from yiwang.core.labels import action_label, seen_fields
from yiwang.core.workdays import local_day

# what a use did with the data, from the action's verb (`<context>.<entity>_<verb>`)
USE_NAMES = {
    "list": "在名单中浏览",
    "read": "查看明细",
    "verify": "只核验是否一致",
    "change": "登记或更新",
}


def use_kind(action: str) -> str:
    verb = action.rsplit("_", 1)[-1]
    if verb == "list":
        return "list"
    if verb == "verify":
        return "verify"
    if verb in ("create", "update", "upsert"):
        return "change"
    return "read"


def data_use(r: AuditRecord) -> dict[str, Any]:
    detail = r.detail or {}
    # older records do not say what was masked: their fields are shown without that split
    clear, masked = seen_fields(detail) if "masked" in detail else ([], [])
    kind = use_kind(r.action)
    return {
        "at": r.occurred_at,
        "by": r.actor_name or r.actor,
        "on_behalf_of": r.on_behalf_of,
        "action": r.action,
        "action_label": action_label(r.action),
        "data": detail.get("resource_name", ""),
        "case_id": detail.get("case_id"),
        "purpose": r.purpose,
        "fields": detail.get("fields", []),
        "labels": detail.get("labels") or detail.get("fields", []),
        "use": kind,
        "use_label": USE_NAMES[kind],
        "masked": detail.get("masked", []),
        "clear_labels": clear,
        "masked_labels": masked,
        "outcome": r.outcome,
    }


def _key(use: dict[str, Any]) -> tuple[Any, ...]:
    return (local_day(use["at"]), use["by"], use["on_behalf_of"], use["action"], use["data"], use["case_id"],
            use["purpose"], tuple(use["fields"]), tuple(use["masked"]), use["outcome"])  # fmt: skip


def grouped(uses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same user doing the same thing with the same fields for the same case on the same
    (Beijing) day, as one row with `times` and the first and last moment; newest first."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for use in uses:  # newest first
        key = _key(use)
        group = groups.get(key)
        if group is None:
            groups[key] = {**use, "times": 1, "first_at": use["at"], "last_at": use["at"]}
        else:
            group["times"] += 1
            group["first_at"] = min(group["first_at"], use["at"])
            group["last_at"] = max(group["last_at"], use["at"])
    return sorted(groups.values(), key=lambda g: g["last_at"], reverse=True)
