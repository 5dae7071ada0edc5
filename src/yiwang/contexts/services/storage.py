"""Where uploaded materials are kept: one small interface, local disk by default (an object store
is another implementation of the same two methods). Files are named by their content hash."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol

from yiwang.settings import get_settings

# what a material may be, recognised by its first bytes, never by its name
MAGIC = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))
TYPE_NAMES = {"application/pdf": "PDF", "image/png": "PNG 图片", "image/jpeg": "JPEG 图片"}


def sniff(data: bytes) -> str | None:
    return next((kind for magic, kind in MAGIC if data.startswith(magic)), None)


class Storage(Protocol):
    def put(self, data: bytes) -> str: ...  # returns the key
    def get(self, key: str) -> bytes: ...


class LocalDisk:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def put(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        path = self.root / key[:2] / key
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        return key

    def get(self, key: str) -> bytes:
        if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
            raise KeyError(key)
        return (self.root / key[:2] / key).read_bytes()


def storage() -> Storage:
    return LocalDisk(get_settings().storage_dir)
