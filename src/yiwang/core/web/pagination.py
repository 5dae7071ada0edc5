"""Opaque keyset cursors: the last id of a page, base64url-encoded."""

from __future__ import annotations

import base64
import binascii

from yiwang.core.errors import FieldError, ValidationFailed


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed("分页游标无效", [FieldError("cursor", "分页游标无效")]) from None


def encode_cursor(last_id: int | None) -> str | None:
    return None if last_id is None else base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")
