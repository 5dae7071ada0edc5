"""Opaque keyset cursors: the last id of a page, base64url-encoded."""

from __future__ import annotations

import base64
import binascii
import re

from yiwang.core.errors import FieldError, ValidationFailed


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor.encode() + b"==").decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        text = ""
    if not re.fullmatch(r"[0-9]{1,18}", text):
        raise ValidationFailed("分页游标无效", [FieldError("cursor", "分页游标无效")])
    return int(text)


def encode_cursor(last_id: int | None) -> str | None:
    return None if last_id is None else base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")
