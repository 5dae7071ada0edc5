"""CKAN's error forms and its parameter readers (as `ckan/logic/__init__.py` and the navl
validators parse them), shared by the CKAN actions in `ckan.py` and `ckan_more.py`."""

from __future__ import annotations

from typing import Any

OFFSET_MAX = 10**9  # larger numbers are refused; rows and limits are capped at their maxima, as CKAN does


class CkanError(Exception):
    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error)
        self.status, self.error = status, error


def not_found() -> CkanError:
    return CkanError(404, {"__type": "Not Found Error", "message": "未找到"})


def invalid(key: str, message: str) -> CkanError:
    return CkanError(409, {key: [message], "__type": "Validation Error"})


def query_error(message: str) -> CkanError:
    return CkanError(400, {"__type": "Search Query Error", "message": f"搜索条件无效: {message}"})


def natural(data: dict[str, Any], key: str, default: int | None, hi: int = OFFSET_MAX) -> int | None:
    value = data.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise invalid(key, "必须是非负整数")
    try:
        number = int(value) if isinstance(value, int) else int(str(value).strip())
    except ValueError:
        raise invalid(key, "必须是非负整数") from None
    if number < 0:
        raise invalid(key, "必须是非负整数")
    if number > hi:
        raise invalid(key, f"不能大于 {hi}")
    return number


def boolean(data: dict[str, Any], key: str, default: bool) -> bool:
    value = data.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "y", "t", "1"):
        return True
    if text in ("false", "no", "off", "n", "f", "0"):
        return False
    raise invalid(key, "必须是布尔值 true 或 false")


def text(data: dict[str, Any], key: str, required: bool = False) -> str:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise invalid(key, "缺少参数值")
        return ""
    if not isinstance(value, str | int):
        raise invalid(key, "必须是字符串")
    return str(value).strip()[:200]
