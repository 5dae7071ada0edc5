"""Chinese names of actions, of the objects they act on and of who acted, for the records people
read (谁使用了我的数据, the audit pages, the sharing monitor). Each context registers the names of
its own actions and object types; core knows none of them.

An unregistered name is returned as it is: `tests/test_architecture.py` proves every action and
every audited object type has a name, so a code on a screen is a bug the tests catch.
"""

from __future__ import annotations

import re
from typing import Any

_ACTIONS: dict[str, str] = {}
_OBJECTS: dict[str, tuple[str, str]] = {}  # object type -> (name, how one object is numbered)

RECORD = "第 {} 条记录"  # a row of a table (the providers' source tables)
NUMBERED = "编号 {}"  # an object with an id or code of its own

ACTOR_KINDS = {
    "user": "账号",
    "client": "接入系统",
    "system": "系统",
    "anonymous": "未登录访客",
    "subscription": "订阅",
}


def name_action(action: str, label: str) -> None:
    _ACTIONS[action] = label


def name_actions(pairs: dict[str, str]) -> None:
    _ACTIONS.update(pairs)


def action_label(action: str) -> str:
    return _ACTIONS.get(action, action)


def named_actions() -> frozenset[str]:
    return frozenset(_ACTIONS)


def name_object(object_type: str, label: str, numbering: str = NUMBERED) -> None:
    """`numbering` says how one object of the type is told apart, `{}` standing for its id."""
    _OBJECTS[object_type] = (label, numbering)


def named_objects() -> frozenset[str]:
    return frozenset(_OBJECTS)


def object_type_label(object_type: str) -> str:
    return _OBJECTS.get(object_type, (object_type, ""))[0]


def object_label(object_type: str, object_id: object, detail: dict[str, Any] | None = None) -> str:
    """「婚姻登记信息 · 第 250 条记录」: what an audit record is about. A record of shared data names
    its resource in its detail, which wins over the registered name of the table."""
    name, numbering = _OBJECTS.get(object_type, (object_type, NUMBERED))
    name = str((detail or {}).get("resource_name") or name)
    ident = str(object_id) if object_id is not None else ""
    if not ident or ident == "-":
        return name
    return f"{name} · {numbering.format(ident)}"


def object_type_of(target: object) -> str:
    """The object type an audit record of a refusal names: a table's name, a policy target's
    class in snake case; a bare string target is a region scope (`authz.check(actor, action,
    region_code)`)."""
    if target is None:
        return "-"
    if isinstance(target, str):
        return "region"
    table = getattr(target, "__tablename__", None)
    if isinstance(table, str):
        return table
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(target).__name__).lower()


def actor_label(label: str) -> str:
    """An audit record's `actor` (`user:5`, `client:c_x`, `system:system`) as a person reads it."""
    kind, _, ident = label.partition(":")
    name = ACTOR_KINDS.get(kind, kind)
    if kind in ("system", "anonymous") or not ident or ident == "system":
        return name
    return f"{name} {ident}"


def seen_fields(detail: dict[str, Any] | None) -> tuple[list[str], list[str]]:
    """The names of the fields a read's audit detail says were seen (`fields`, their `labels`),
    split into (in clear, masked) by its `masked` field names."""
    detail = detail or {}
    fields = list(detail.get("fields") or [])
    names = list(detail.get("labels") or fields)
    masked = set(detail.get("masked") or [])
    named = list(zip(fields, names, strict=False)) if len(names) == len(fields) else [(n, n) for n in names]
    return [n for f, n in named if f not in masked], [n for f, n in named if f in masked]
