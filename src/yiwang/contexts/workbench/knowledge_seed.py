"""The demo's knowledge base: a few service guides and policies written for the demo city, and
hotline answers (official replies to real citizens' messages, `../shared/data`, a sample). Their
passage vectors ship beside them (`demo_data/vectors.json`), so seeding embeds only what changed."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from yiwang.contexts.workbench import knowledge_embed as embed
from yiwang.contexts.workbench import knowledge_import
from yiwang.contexts.workbench.knowledge_schemas import ArticleIn
from yiwang.core.actor import SYSTEM
from yiwang.core.db import transaction

DATA = Path(__file__).parent / "demo_data"
FILES = ("guides.md", "hotline_answers.jsonl")
VECTORS = DATA / "vectors.json"
BATCH = 32


def _key(a: ArticleIn) -> str:
    return hashlib.sha256(embed.passage_text(a.title, a.body).encode()).hexdigest()[:16]


def demo_articles() -> list[ArticleIn]:
    return [a for name in FILES for a in knowledge_import.read(DATA / name)]


def _shipped() -> dict[str, bytes]:
    if not VECTORS.exists():
        return {}
    return {k: base64.b64decode(v) for k, v in json.loads(VECTORS.read_text()).items()}


def write_vectors() -> int:
    """Embed every demo article again and write `demo_data/vectors.json` (after editing the
    demo files or changing the model)."""
    articles = demo_articles()
    vectors = embed.passages([embed.passage_text(a.title, a.body) for a in articles])
    VECTORS.write_text(json.dumps({_key(a): base64.b64encode(v).decode() for a, v in zip(articles, vectors, strict=True)},
                                  indent=0, sort_keys=True))  # fmt: skip
    return len(articles)


def seed_knowledge() -> int:
    """Idempotent: an article already there with the same content is left as it is."""
    articles, shipped = demo_articles(), _shipped()
    counts = knowledge_import.Counts()
    for i in range(0, len(articles), BATCH):
        batch = articles[i : i + BATCH]
        known = {a.external_id: shipped[_key(a)] for a in batch if _key(a) in shipped}
        with transaction() as s:
            knowledge_import.article_import(s, SYSTEM, batch, known, counts)
    return counts.created + counts.updated + counts.unchanged
