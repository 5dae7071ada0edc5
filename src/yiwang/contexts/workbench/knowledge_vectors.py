"""Semantic recall: the question's nearest articles by their stored vectors, beside BM25's
candidates, so that a question sharing no word with its answer still finds it. The vectors of
valid articles are held in memory (float16, 768 bytes an article: 77 MB for 100k) and read again
only when an article was added or saved."""

from __future__ import annotations

import threading
from datetime import date

import numpy as np
from sqlalchemy.orm import Session

from yiwang.contexts.workbench import knowledge_embed as embed
from yiwang.contexts.workbench import knowledge_repository as repo

_lock = threading.Lock()
_cache: dict[str, tuple[object, np.ndarray, np.ndarray]] = {}  # key -> (version, ids, matrix)


def _matrix(session: Session, today: date | None) -> tuple[np.ndarray, np.ndarray]:
    key = f"{today}"
    version = repo.vectors_version(session)
    with _lock:
        got = _cache.get(key)
        if got is not None and got[0] == version:
            return got[1], got[2]
    rows = repo.all_vectors(session, today)
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float16).reshape(len(rows), embed.DIM)
    with _lock:
        _cache.clear()  # one day's snapshot is enough
        _cache[key] = (version, ids, matrix)
    return ids, matrix


def nearest(session: Session, q: np.ndarray, k: int, today: date | None) -> list[int]:
    """The ids of the `k` articles whose passage vectors are nearest the question's."""
    ids, matrix = _matrix(session, today)
    if not len(ids):
        return []
    sims = matrix @ q.astype(np.float16)
    top = np.argpartition(-sims, min(k, len(ids) - 1))[:k]
    return [int(i) for i in ids[top[np.argsort(-sims[top])]]]
