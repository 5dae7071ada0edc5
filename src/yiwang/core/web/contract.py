"""The API's contract in its OpenAPI document, generated once for every route of every context.

Every operation declares the problem+json answers it can give (400, 401, 403, 404, 405, 409, 413,
422, 429 with Retry-After, 503), with the field-keyed `errors` list; FastAPI's own 422 schema is
replaced, since `core.web.errors` answers with problem+json. Every integer without bounds gets
the 64-bit bounds the databases enforce (an id in a path: from 1), so a client sees the rule
before it calls. Routes added by any context get all of it without declaring anything.
A route may add to it or override it with its own `responses=`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Path
from fastapi.openapi.utils import get_openapi

from yiwang.core.errors import PROBLEM_JSON

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
Id = Annotated[int, Path(ge=1, le=INT64_MAX, description="编号")]  # an id in a path: bounded, 404 if absent
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
RETRY_AFTER = {"description": "多少秒后可以重试", "schema": {"type": "integer", "minimum": 0}}
STANDARD_PROBLEMS: dict[int, str] = {
    400: "请求无效",
    401: "需要登录或访问令牌",
    403: "无权执行此操作",
    404: "对象不存在",
    405: "不支持的请求方法（响应头 Allow 列出可用方法）",
    409: "与现有数据冲突",
    413: "请求内容过大",
    422: "提交的数据有误（errors 按字段列出）",
    429: "请求过于频繁（响应头 Retry-After 给出等待秒数）",
    503: "服务暂时不可用（响应头 Retry-After 给出等待秒数）",
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details；errors 按字段列出提交数据中的问题。",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 100, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldProblem"}},
    },
}
FIELD_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "FieldProblem",
    "type": "object",
    "required": ["field", "detail"],
    "properties": {
        "field": {"type": "string", "description": "出错的字段，嵌套字段以点分隔"},
        "pointer": {"type": "string", "description": "JSON Pointer（RFC 6901）形式的字段位置"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
    },
}
_METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
# Operations whose errors are not problem+json: {(method, path): {status: (media type, schema)}}
_OWN_ERRORS: dict[tuple[str, str], dict[int, tuple[str, dict[str, Any]]]] = {}


def own_errors(method: str, path: str, statuses: dict[int, tuple[str, dict[str, Any]]]) -> None:
    """Declare that an operation answers these statuses in a form of its own (CKAN's envelope,
    RFC 6749's token errors) besides problem+json."""
    _OWN_ERRORS.setdefault((method.lower(), path), {}).update(statuses)


def _problem_response(status: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": STANDARD_PROBLEMS[status],
        "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
    }
    if status in (429, 503):
        out["headers"] = {"Retry-After": RETRY_AFTER}
    if status == 405:
        out["headers"] = {"Allow": {"description": "可用的方法", "schema": {"type": "string"}}}
    return out


def _bound_integers(node: Any, path_id: bool = False) -> None:
    if isinstance(node, dict):
        if node.get("type") == "integer":
            node.setdefault("maximum", INT64_MAX)
            node.setdefault("minimum", 1 if path_id else INT64_MIN)
        for key, value in node.items():
            if key not in ("example", "examples", "default", "const", "enum"):
                _bound_integers(value)
    elif isinstance(node, list):
        for value in node:
            _bound_integers(value)


def _complete(operation: dict[str, Any], own: dict[int, tuple[str, dict[str, Any]]]) -> None:
    responses = operation.setdefault("responses", {})
    for param in operation.get("parameters", []):
        _bound_integers(param.get("schema"), path_id=param.get("in") == "path")
    for status in STANDARD_PROBLEMS:
        standard = _problem_response(status)
        existing = responses.get(str(status))
        if existing is None:
            responses[str(status)] = standard
            continue
        if status == 422:  # FastAPI's own validation schema: the answer is problem+json instead
            existing["content"] = {}
            existing["description"] = standard["description"]
        existing.setdefault("content", {}).setdefault(PROBLEM_JSON, {"schema": PROBLEM_REF})
        if "headers" in standard:
            existing.setdefault("headers", {}).update(standard["headers"])
    for status, (media, schema) in own.items():
        entry = responses.setdefault(str(status), {"description": STANDARD_PROBLEMS.get(status, "错误")})
        entry.setdefault("content", {})[media] = {"schema": schema}


def document(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes,
        openapi_version=app.openapi_version, servers=app.servers, tags=app.openapi_tags,
    )  # fmt: skip
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    components["Problem"] = PROBLEM_SCHEMA
    components["FieldProblem"] = FIELD_PROBLEM_SCHEMA
    for name, model in list(components.items()):
        if name not in ("Problem", "FieldProblem"):
            _bound_integers(model)
    for path, item in schema.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                _complete(item[method], _OWN_ERRORS.get((method, path), {}))
    app.openapi_schema = schema
    return schema


def install(app: FastAPI) -> None:
    """Generate the app's OpenAPI document with the contract above (call after every router)."""
    app.openapi = lambda: document(app)  # type: ignore[method-assign]
