"""Photos of city events: the type is read from the content (magic numbers), never from the
name or the declared type, and the size is bounded."""

from __future__ import annotations

import hashlib

from yiwang.core.errors import FieldError, ValidationFailed

MAX_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 9


def content_type(data: bytes) -> str | None:
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def checked(photos: list[bytes], field: str = "photos") -> list[tuple[str, str, bytes]]:
    """(content type, sha256, bytes) of each photo, or 422 naming the bad ones."""
    if len(photos) > MAX_PHOTOS:
        raise ValidationFailed(
            f"最多上传 {MAX_PHOTOS} 张照片", [FieldError(field, f"最多 {MAX_PHOTOS} 张", "too_many")]
        )
    out, errors = [], []
    for i, data in enumerate(photos):
        kind = content_type(data)
        if not data:
            errors.append(FieldError(f"{field}.{i}", "照片为空文件", "empty"))
        elif len(data) > MAX_BYTES:
            errors.append(FieldError(f"{field}.{i}", "照片不能超过 5 MB", "too_large"))
        elif kind is None:
            errors.append(FieldError(f"{field}.{i}", "只接受 JPEG、PNG 或 WebP 格式的照片", "type"))
        else:
            out.append((kind, hashlib.sha256(data).hexdigest(), data))
    if errors:
        raise ValidationFailed("照片不符合要求", errors)
    return out
