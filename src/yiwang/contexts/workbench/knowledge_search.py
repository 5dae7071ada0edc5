"""Searching the knowledge base: BM25 over the full-text index picks the candidates, then the
question's e5 vector re-ranks the best of them, with the articles nearest it by meaning, against
their stored passage vectors. A long question (a whole hotline message) is ranked by BM25 alone:
its many words carry it (docs/benchmarks.md), and the model call costs far more than the
lexical stage."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from yiwang.contexts.workbench import knowledge_embed as embed
from yiwang.contexts.workbench import knowledge_repository as repo
from yiwang.contexts.workbench import knowledge_text as text
from yiwang.contexts.workbench import knowledge_vectors as vectors
from yiwang.contexts.workbench.knowledge_models import KnowledgeArticle
from yiwang.core import authz
from yiwang.core.actor import Actor
from yiwang.core.db import utcnow
from yiwang.core.workdays import local_day

MAX_TERMS = 64  # a long question keeps its rarest terms
CANDIDATES = 30  # re-ranked by meaning
LONG = 80  # a question this long is ranked by BM25 alone; a shorter one is embedded
SEMANTIC = 10  # nearest articles by meaning added to BM25's candidates
LEXICAL_WEIGHT = 0.5


@dataclass(frozen=True)
class Ranked:
    article: KnowledgeArticle
    score: float  # 0..1, higher is better
    bm25: float
    similarity: float | None  # None when not re-ranked
    terms: list[str]  # the question's terms, for highlighting


def _prune(session: Session, terms: list[str]) -> list[str]:
    if len(terms) <= MAX_TERMS:
        return terms
    df = repo.document_frequencies(session, terms)
    if not df:
        return terms[:MAX_TERMS]
    present = [t for t in terms if df.get(t, 0) > 0]
    keep = set(sorted(present, key=lambda t: df[t])[:MAX_TERMS])
    return [t for t in present if t in keep]


def rank(
    session: Session, question: str, limit: int, valid_only: bool = True, rerank: bool | None = None
) -> list[Ranked]:
    """The best `limit` articles for a question (no authorisation: callers check first).
    `rerank`: None re-ranks a question shorter than LONG; True and False force it."""
    terms = text.query_terms(question, limit=96)
    searched = _prune(session, terms)
    today = local_day(utcnow()) if valid_only else None
    hits = repo.lexical(session, searched, max(CANDIDATES, limit), today)
    if rerank is None:
        rerank = len(question) < LONG
    if not rerank:
        articles = repo.candidates(session, [h.article_id for h in hits[:limit]])
        top = (hits[0].bm25 if hits else 0) or 1.0
        return [Ranked(articles[h.article_id], h.bm25 / top, h.bm25, None, terms) for h in hits[:limit]]
    q = embed.query(question)
    lexical = {h.article_id: h.bm25 for h in hits}
    ids = list(dict.fromkeys([*lexical, *vectors.nearest(session, q, SEMANTIC, today)]))
    if not ids:
        return []
    articles = repo.candidates(session, ids)
    ids = [i for i in ids if i in articles]
    sims = embed.similarities(q, [articles[i].vector for i in ids])
    top = max(lexical.values(), default=0) or 1.0
    low, high = float(sims.min()), float(sims.max())
    spread = (high - low) or 1.0
    scored = sorted(
        ((LEXICAL_WEIGHT * lexical.get(i, 0.0) / top + (1 - LEXICAL_WEIGHT) * (float(s) - low) / spread, i, float(s))
         for i, s in zip(ids, sims, strict=True)),
        key=lambda x: -x[0],
    )  # fmt: skip
    return [Ranked(articles[i], round(sc, 4), lexical.get(i, 0.0), s, terms) for sc, i, s in scored[:limit]]


def article_search(
    session: Session, actor: Actor, q: str, limit: int = 10, valid_only: bool = True
) -> list[Ranked]:
    """Staff and calling systems search the knowledge base."""
    authz.check(actor, "workbench.article_search", None)
    return rank(session, q, limit, valid_only)


def snippet(r: Ranked, width: int = 120) -> str:
    return text.highlight(r.article.body, r.terms, width)
