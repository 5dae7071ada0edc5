"""Pure rules for showing a value masked (脱敏), by data type."""

from __future__ import annotations

from datetime import date
from typing import Any

from yiwang.core import codes


def mask_value(data_type: str, value: Any) -> Any:
    if value is None:
        return None
    if data_type == "id_number":
        return codes.mask_ric(str(value))
    if data_type == "date":
        return f"{value.year if isinstance(value, date) else str(value)[:4]}-**-**"
    if data_type in ("integer", "money"):
        return "***"
    text = str(value)
    if data_type == "credit_code":
        return text[:8] + "*" * 6 + text[-4:]
    if len(text) <= 1:
        return "*"
    if len(text) <= 4:
        return codes.mask_name(text)
    return text[:2] + "*" * (len(text) - 4) + text[-2:]
