"""Domain errors and their RFC 9457 problem+json form (Chinese title, field-keyed errors)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://yiwang.dev/problems/"


@dataclass
class FieldError:
    field: str
    detail: str
    code: str = "invalid"

    def as_dict(self) -> dict[str, str]:
        return {
            "field": self.field,
            "pointer": "#/" + self.field.replace(".", "/"),
            "detail": self.detail,
            "code": self.code,
        }


@dataclass
class DomainError(Exception):
    """A refusal the caller can act on. Raising it rolls the transaction back."""

    detail: str = ""
    errors: list[FieldError] = field(default_factory=list)
    status = 400
    slug = "bad-request"
    title = "请求无效"

    def __post_init__(self) -> None:
        super().__init__(self.detail or self.title)

    def problem(self, instance: str = "", request_id: str = "") -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail or self.title,
        }
        if instance:
            body["instance"] = instance
        if request_id:
            body["request_id"] = request_id
        if self.errors:
            body["errors"] = [e.as_dict() for e in self.errors]
        return body


class ValidationFailed(DomainError):
    status = 422
    slug = "validation"
    title = "提交的数据有误"


class Unauthenticated(DomainError):
    status = 401
    slug = "unauthenticated"
    title = "需要登录"


class Forbidden(DomainError):
    status = 403
    slug = "forbidden"
    title = "无权执行此操作"


class NotFound(DomainError):
    status = 404
    slug = "not-found"
    title = "未找到"


class NotAcceptable(DomainError):
    status = 406
    slug = "not-acceptable"
    title = "不支持请求的格式"


class Conflict(DomainError):
    status = 409
    slug = "conflict"
    title = "与现有数据冲突"


class TooManyRequests(DomainError):
    status = 429
    slug = "rate-limited"
    title = "请求过于频繁"
    retry_after: int = 60


class Unavailable(DomainError):
    status = 503
    slug = "unavailable"
    title = "服务暂时不可用"
    retry_after: int | None = None


class ServerError(DomainError):
    status = 500
    slug = "server-error"
    title = "服务器内部错误"


class CsrfRejected(DomainError):
    status = 403
    slug = "csrf"
    title = "表单已失效，请刷新页面后重试"


_PYDANTIC_ZH = {
    "missing": "此项为必填项",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "string_type": "应为文本",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为是或否",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式应为 ISO 8601",
    "json_invalid": "JSON 格式错误",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "string_pattern_mismatch": "格式不正确",
    "extra_forbidden": "不允许的字段",
    "model_attributes_type": "应为对象",
    "dict_type": "应为对象",
    "list_type": "应为列表",
    "too_long": "条目过多",
    "too_short": "条目过少",
}


def from_pydantic(errors: list[Any], drop_prefix: tuple[str, ...] = ("body",)) -> ValidationFailed:
    """Turn pydantic/FastAPI validation errors into field-keyed Chinese errors."""
    out = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ()) if str(p) not in drop_prefix]
        kind = e.get("type", "invalid")
        if kind == "value_error":
            detail = str(e.get("msg", "")).removeprefix("Value error, ")
        else:
            detail = _PYDANTIC_ZH.get(kind, "格式不正确")
        out.append(FieldError(".".join(loc) or "body", detail, kind))
    return ValidationFailed("提交的数据有误，请按提示修改", out)
