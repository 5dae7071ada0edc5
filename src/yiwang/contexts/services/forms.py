"""An item's application form as JSON Schema (built from the item's field list), and the check
of a submitted form against it with field-keyed Chinese messages."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from yiwang.core import codes
from yiwang.core.errors import FieldError, ValidationFailed

_KIND: dict[str, dict[str, Any]] = {
    "text": {"type": "string", "minLength": 1, "maxLength": 100},
    "long_text": {"type": "string", "minLength": 1, "maxLength": 2000},
    "id_number": {"type": "string", "pattern": r"^\d{17}[\dXx]$"},
    "credit_code": {"type": "string", "pattern": r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$"},
    "phone": {"type": "string", "pattern": r"^1\d{10}$"},
    "date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
}  # fmt: skip


def schema_of(fields: tuple[tuple[str, str, str, str], ...]) -> dict[str, Any]:
    props = {}
    for name, title, kind, prefill in fields:
        props[name] = {
            "title": title,
            **_KIND[kind],
            "x-kind": kind,
            **({"x-prefill": prefill} if prefill else {}),
        }
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "properties": props,
            "required": [f[0] for f in fields], "additionalProperties": False}  # fmt: skip


def _message(title: str, kind: str, error: Any) -> tuple[str, str]:
    v = error.validator
    if v in ("required", "minLength"):
        return f"请填写{title}", "missing"
    if v == "maxLength":
        return f"{title}不能超过 {error.validator_value} 个字", "string_too_long"
    if v == "pattern":
        hint = {"id_number": "应为 18 位公民身份号码", "credit_code": "应为 18 位统一社会信用代码",
                "phone": "应为 11 位手机号码", "date": "应为 年-月-日"}.get(kind, "格式不正确")  # fmt: skip
        return f"{title}{hint}", "pattern"
    return f"{title}填写不正确", "invalid"


def validate(schema: dict[str, Any], form: dict[str, Any]) -> dict[str, str]:
    """The form's values, trimmed; raises 422 naming each wrong field."""
    props = schema.get("properties", {})
    clean = {k: (v.strip() if isinstance(v, str) else v) for k, v in form.items() if k in props}
    errors: list[FieldError] = []
    for k in form:
        if k not in props:
            errors.append(FieldError(f"form.{k}"[:80], "表单中没有这一项", "extra_forbidden"))
    seen: set[str] = set()
    for e in sorted(Draft202012Validator(schema).iter_errors(clean), key=lambda e: str(e.path)):
        name = e.message.split("'")[1] if e.validator == "required" else (str(e.path[0]) if e.path else "")
        if not name or name in seen:
            continue
        seen.add(name)
        p = props.get(name, {})
        msg, kind = _message(p.get("title", name), p.get("x-kind", "text"), e)
        errors.append(FieldError(f"form.{name}", msg, kind))
    for name, p in props.items():
        value = clean.get(name)
        if name in seen or not isinstance(value, str) or not value:
            continue
        check = {"id_number": codes.ric_error, "credit_code": codes.uscc_error}.get(p.get("x-kind", ""))
        err = check(value) if check else None
        if err:
            errors.append(FieldError(f"form.{name}", f"{p['title']}：{err}", "check_digit"))
    if errors:
        raise ValidationFailed("申请表填写有误，请按提示修改", errors)
    return {k: str(v) for k, v in clean.items()}
