"""Knowledge search against a bm25s + jieba baseline over the same documents and queries, and
search latency with 100k articles.

Documents: every official reply of ../shared/data/hotline_messages_with_replies.jsonl whose
passage vector is cached (bench/knowledge_vectors.py embeds them once: the product embeds at
write time, the benchmark measures searching); queries: each of those messages (subject +
body), relevant: its own reply (and any reply with the same text). Both systems index the same
text (title `答复<id>` + reply).

  ours      knowledge_search.rank: rjieba terms, SQLite FTS5 bm25(), e5 re-ranking of the top 30
            when BM25 is not sure (the product's path, through its repository)
  lexical   the same without re-ranking (FTS5 BM25 only)
  baseline  bm25s (BM25 over jieba.lcut tokens, the query's tokens filtered to the vocabulary)

Quality: recall@5 and MRR@10 over every query. Speed: queries/s over a fixed sample, the
median of --rounds alternating rounds. Latency: --articles articles (the replies repeated with
their sentences shuffled, each keeping its reply's vector), p50/p95 of short questions (the
messages' subjects) against a bare primary-key read of one article on the same connection.

    .venv/bin/python bench/knowledge_vectors.py        # once (slow: ~40 passages/s per core)
    .venv/bin/python bench/knowledge_bench.py --rounds 5 --sample 200 --articles 100000
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

import knowledge_vectors as kv

ROOT = Path(__file__).resolve().parent.parent


def _db(tmp: Path, name: str) -> str:
    import os

    url = f"sqlite:///{tmp}/{name}.db"
    os.environ["YIWANG_DATABASE_URL"] = url
    os.environ.setdefault("YIWANG_LOG_LEVEL", "WARNING")
    os.environ["YIWANG_AUDIT_ENABLED"] = "false"
    from yiwang.core import migrations
    from yiwang.core.db import reset_engine
    from yiwang.settings import get_settings

    get_settings.cache_clear()  # type: ignore[attr-defined]
    reset_engine()
    migrations.upgrade(url)
    return url


def _load(docs: list[tuple[str, str, str]], vectors: dict[str, bytes]) -> None:
    from yiwang.contexts.workbench import knowledge_import
    from yiwang.contexts.workbench.knowledge_schemas import ArticleIn
    from yiwang.core.actor import SYSTEM
    from yiwang.core.db import transaction

    items = [ArticleIn(external_id=e, title=t, body=b, kind="answer") for e, t, b in docs]
    for i in range(0, len(items), 500):
        with transaction() as s:
            knowledge_import.article_import(s, SYSTEM, items[i : i + 500], vectors)


def _metrics(ranked: list[list[int]], relevant: list[set[int]]) -> tuple[float, float]:
    recall = sum(bool(set(r[:5]) & rel) for r, rel in zip(ranked, relevant, strict=True)) / len(ranked)
    mrr = 0.0
    for r, rel in zip(ranked, relevant, strict=True):
        for pos, d in enumerate(r[:10], start=1):
            if d in rel:
                mrr += 1 / pos
                break
    return recall, mrr / len(ranked)


class Baseline:
    def __init__(self, texts: list[str]) -> None:
        import bm25s
        import jieba

        jieba.setLogLevel(60)
        self.jieba = jieba
        self.index = bm25s.BM25()
        self.index.index([self.tokens(t) for t in texts], show_progress=False)
        self.vocab = set(self.index.vocab_dict)

    def tokens(self, text: str) -> list[str]:
        return [w for w in self.jieba.lcut(text) if re.search(r"\w", w)]

    def search(self, q: str, k: int = 10) -> list[int]:
        toks = [t for t in self.tokens(q) if t in self.vocab] or ["的"]
        ids, _ = self.index.retrieve([toks], k=k, show_progress=False)
        return [int(i) for i in ids[0]]


def quality_and_speed(args: argparse.Namespace, tmp: Path) -> dict[str, object]:
    rows = [json.loads(line) for line in kv.DATA.open(encoding="utf-8")]
    docs, vectors = kv.documents(), kv.vectors(embed_missing=False)
    keep = [i for i, d in enumerate(docs) if d[0] in vectors][: args.docs or None]
    docs = [docs[i] for i in keep]
    queries = [f"{rows[i]['subject']} {rows[i]['body']}" for i in keep]
    by_text: dict[str, set[int]] = {}
    for n, (_, _, body) in enumerate(docs):
        by_text.setdefault(body, set()).add(n)
    relevant = [by_text[d[2]] for d in docs]
    _db(tmp, "quality")
    _load(docs, vectors)
    from yiwang.contexts.workbench import knowledge_search
    from yiwang.core.db import transaction

    with transaction() as s:
        pos = {e: n for n, (e, _, _) in enumerate(docs)}
        ext = dict(
            s.execute(__import__("sqlalchemy").text("SELECT id, external_id FROM knowledge_article")).all()
        )
    base = Baseline([f"{t}\n{b}" for _, t, b in docs])

    def ours(q: str, rerank: bool | None = None) -> list[int]:
        with transaction() as s:
            return [pos[ext[r.article.id]] for r in knowledge_search.rank(s, q, 10, rerank=rerank)]

    out: dict[str, object] = {"documents": len(docs), "queries": len(queries)}
    runs = {"ours": lambda q: ours(q), "rerank": lambda q: ours(q, True), "lexical": lambda q: ours(q, False),
            "baseline": base.search}  # fmt: skip
    runs = {k: v for k, v in runs.items() if k in args.only.split(",")}
    for name, fn in runs.items():
        out[name] = dict(
            zip(("recall@5", "mrr@10"), _metrics([fn(q) for q in queries], relevant), strict=True)
        )
    sample = random.Random(17).sample(queries, min(args.sample, len(queries)))
    qps: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(args.rounds):
        for name, fn in runs.items():
            start = time.perf_counter()
            for q in sample:
                fn(q)
            qps[name].append(len(sample) / (time.perf_counter() - start))
    out["qps"] = {k: round(statistics.median(v), 1) for k, v in qps.items()}
    out["qps_runs"] = {k: [round(x, 1) for x in v] for k, v in qps.items()}
    for k in runs:
        out[f"qps_ratio_{k}_vs_baseline"] = round(
            statistics.median(qps[k]) / statistics.median(qps["baseline"]), 2
        )
    return out


def latency(args: argparse.Namespace, tmp: Path) -> dict[str, object]:
    from sqlalchemy import text

    from yiwang.contexts.workbench import knowledge_repository as repo
    from yiwang.contexts.workbench import knowledge_search
    from yiwang.contexts.workbench import knowledge_text as ktext
    from yiwang.core.db import transaction

    rows = [json.loads(line) for line in kv.DATA.open(encoding="utf-8")]
    docs, vectors = kv.documents(), kv.vectors(embed_missing=False)
    docs = [d for d in docs if d[0] in vectors]
    _db(tmp, "latency")
    rnd = random.Random(3)
    now = "2026-12-01 00:00:00.000000"
    with transaction() as s:
        for start in range(0, args.articles, 2000):
            params = []
            for n in range(start, min(start + 2000, args.articles)):
                ext, title, body = docs[n % len(docs)]
                parts = re.split(r"(?<=[。！？])", body)
                if n >= len(docs):
                    rnd.shuffle(parts)
                body = "".join(parts)
                tt, bt = ktext.index_text(title), ktext.index_text(body)
                params.append({"i": n + 1, "e": f"{ext}-{n}", "t": title, "b": body, "tt": tt, "bt": bt,
                               "n": len((tt + " " + bt).split()), "v": vectors[ext], "now": now})  # fmt: skip
            s.execute(text("INSERT INTO knowledge_article (id, external_id, kind, title, body, tags, version, title_terms, "
                           "body_terms, n_terms, vector, created_at, updated_at) VALUES (:i, :e, 'answer', :t, :b, '', 1, "
                           ":tt, :bt, :n, :v, :now, :now)"), params)  # fmt: skip
            s.execute(
                text("INSERT INTO knowledge_fts(rowid, title_terms, body_terms) VALUES (:i, :tt, :bt)"),
                params,
            )
    questions = [r["subject"] for r in random.Random(5).sample(rows, args.latency_sample)]
    timings: dict[str, list[float]] = {"ours": [], "lexical": [], "pk_read": []}
    for _ in range(args.rounds):
        for q in questions:
            for name in ("ours", "lexical", "pk_read"):
                with transaction() as s:
                    start = time.perf_counter()
                    if name == "pk_read":
                        repo.article(s, rnd.randint(1, args.articles))
                    else:
                        knowledge_search.rank(s, q, 10, rerank=None if name == "ours" else False)
                    timings[name].append((time.perf_counter() - start) * 1000)
    pct = {k: {"p50_ms": round(float(np.percentile(v, 50)), 2), "p95_ms": round(float(np.percentile(v, 95)), 2)}
           for k, v in timings.items()}  # fmt: skip
    return {"articles": args.articles, "questions": len(questions), "rounds": args.rounds, **pct,
            "p95_ratio_vs_pk_read": round(pct["ours"]["p95_ms"] / pct["pk_read"]["p95_ms"], 1)}  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--sample", type=int, default=200, help="queries timed per round")
    p.add_argument("--docs", type=int, default=0, help="at most this many documents (0: every cached one)")
    p.add_argument("--latency-sample", type=int, default=40, help="short questions timed per round (latency)")
    p.add_argument(
        "--only", default="ours,baseline", help="of ours,rerank,lexical,baseline (always baseline)"
    )
    p.add_argument(
        "--max-terms", type=int, default=0, help="override knowledge_search.MAX_TERMS (experiments)"
    )
    p.add_argument("--articles", type=int, default=100_000, help="articles for the latency part (0: skip)")
    args = p.parse_args()
    from yiwang.contexts import load

    load()
    if args.max_terms:
        from yiwang.contexts.workbench import knowledge_search

        knowledge_search.MAX_TERMS = args.max_terms
    with tempfile.TemporaryDirectory(prefix="knowledge-bench-") as tmp:
        result = {"quality": quality_and_speed(args, Path(tmp))}
        if args.articles:
            result["latency"] = latency(args, Path(tmp))
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
