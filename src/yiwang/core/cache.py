"""Small per-process caches with a time to live, for what every API call would otherwise read
again: a bearer token's client, a resource's catalog entry, a department's grants.

A cache never decides alone: each user says what a stale entry may cost and re-checks what
must be exact at the point where it matters (a grant is checked again at commit time). Writes
in this process clear the caches they affect at once; other processes see them within the
time to live. `clear_all()` runs when the engine changes (tests switch databases).
"""

from __future__ import annotations

import time
import weakref
from typing import Generic, TypeVar

from yiwang.settings import get_settings

K = TypeVar("K")
V = TypeVar("V")

_all: weakref.WeakSet[TTLCache[object, object]] = weakref.WeakSet()


class TTLCache(Generic[K, V]):
    def __init__(self, maxsize: int = 10_000) -> None:
        self.maxsize = maxsize
        self._data: dict[K, tuple[float, V]] = {}
        _all.add(self)  # type: ignore[arg-type]

    def get(self, key: K) -> V | None:
        hit = self._data.get(key)
        if hit is None:
            return None
        if hit[0] < time.monotonic():
            self._data.pop(key, None)
            return None
        return hit[1]

    def put(self, key: K, value: V, ttl: float | None = None) -> None:
        """Keep `value` for `ttl` seconds (default: the `cache_seconds` setting; 0 = not at all)."""
        ttl = get_settings().cache_seconds if ttl is None else ttl
        if ttl <= 0:
            return
        if len(self._data) >= self.maxsize:
            self._data.clear()  # rare (more distinct keys than maxsize within a TTL): start over
        self._data[key] = (time.monotonic() + ttl, value)

    def discard(self, key: K) -> None:
        self._data.pop(key, None)

    def clear(self) -> None:
        self._data.clear()


def clear_all() -> None:
    for cache in list(_all):
        cache.clear()
