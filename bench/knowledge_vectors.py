"""Passage vectors of the knowledge benchmark's documents (every official reply of
`../shared/data/hotline_messages_with_replies.jsonl`), embedded once and cached in
test-artifacts/ (the product embeds at write time; the benchmark measures searching)."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

DATA = Path("/work/shared/data/hotline_messages_with_replies.jsonl")
CACHE = Path(__file__).resolve().parent.parent / "test-artifacts" / "knowledge_bench_vectors.npz"


def documents() -> list[tuple[str, str, str]]:
    """(external id, title, body) of each reply, and the query (the message) beside it."""
    rows = [json.loads(line) for line in DATA.open(encoding="utf-8")]
    return [(f"reply-{r['id']}", f"答复{r['id']}", r["reply"]) for r in rows]


def vectors(embed_missing: bool = True) -> dict[str, bytes]:
    from yiwang.contexts.workbench import knowledge_embed as embed

    docs = documents()
    keys = [hashlib.sha256(embed.passage_text(t, b).encode()).hexdigest()[:16] for _, t, b in docs]
    have: dict[str, np.ndarray] = dict(np.load(CACHE)) if CACHE.exists() else {}
    todo = [i for i, k in enumerate(keys) if k not in have] if embed_missing else []
    for start in range(0, len(todo), 32):
        chunk = todo[start : start + 32]
        got = embed.passages([embed.passage_text(docs[i][1], docs[i][2]) for i in chunk])
        for i, v in zip(chunk, got, strict=True):
            have[keys[i]] = np.frombuffer(v, dtype=np.uint8)
        CACHE.parent.mkdir(exist_ok=True)
        np.savez(CACHE, **have)
        print(f"embedded {len(have)}/{len(docs)}", file=sys.stderr, flush=True)
    return {docs[i][0]: have[k].tobytes() for i, k in enumerate(keys) if k in have}


if __name__ == "__main__":
    vectors()
