"""All SQL of the knowledge base: articles and versions, and the full-text index with BM25
ranking: SQLite FTS5's bm25(), or on PostgreSQL a GIN-indexed tsvector match ranked by the same
Okapi BM25 formula over the matched rows (ts_rank is not BM25)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, defer

from yiwang.contexts.workbench.knowledge_models import FTS_TABLE, KnowledgeArticle, KnowledgeArticleVersion

K1, B = 1.2, 0.75
TITLE_WEIGHT = 3.0  # a term in the title counts three times one in the body


def article(session: Session, article_id: int, for_update: bool = False) -> KnowledgeArticle | None:
    stmt = select(KnowledgeArticle).where(KnowledgeArticle.id == article_id)
    return session.scalars(stmt.with_for_update() if for_update else stmt).first()


def by_external(session: Session, external_id: str, for_update: bool = False) -> KnowledgeArticle | None:
    stmt = select(KnowledgeArticle).where(KnowledgeArticle.external_id == external_id)
    return session.scalars(stmt.with_for_update() if for_update else stmt).first()


def _pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def unindex(session: Session, a: KnowledgeArticle) -> None:
    """Take an article's current terms out of the index (before they change)."""
    if not _pg(session):
        session.execute(
            text(
                f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title_terms, body_terms) VALUES ('delete', :i, :t, :b)"
            ),
            {"i": a.id, "t": a.title_terms, "b": a.body_terms},
        )


def index(session: Session, a: KnowledgeArticle) -> None:
    """Put an article's terms in the full-text index (after it is flushed)."""
    if _pg(session):
        session.execute(
            text("UPDATE knowledge_article SET search_vector = CAST(:v AS tsvector) WHERE id = :i"),
            {"i": a.id, "v": tsvector_literal(a.title_terms, a.body_terms)},
        )
        _stats.clear()
    else:
        session.execute(
            text(f"INSERT INTO {FTS_TABLE}(rowid, title_terms, body_terms) VALUES (:i, :t, :b)"),
            {"i": a.id, "t": a.title_terms, "b": a.body_terms},
        )


def _quoted(term: str) -> str:
    return "'" + term.replace("\\", "").replace("'", "''") + "'"


def tsvector_literal(title_terms: str, body_terms: str) -> str:
    """The article's own terms as a tsvector, positions and all (title ones weighted A): built
    here, not by to_tsvector, whose parser would cut the Chinese again by the server's locale."""
    positions: dict[str, list[str]] = {}
    for n, term in enumerate(title_terms.split(), start=1):
        positions.setdefault(term, []).append(f"{min(n, 16383)}A")
    offset = len(title_terms.split())
    for n, term in enumerate(body_terms.split(), start=offset + 1):
        positions.setdefault(term, []).append(str(min(n, 16383)))
    return " ".join(f"{_quoted(t)}:{','.join(p[:256])}" for t, p in positions.items())


def add(session: Session, a: KnowledgeArticle) -> KnowledgeArticle:
    session.add(a)
    session.flush()
    return a


def add_version(session: Session, v: KnowledgeArticleVersion) -> None:
    session.add(v)
    session.flush()


def versions(session: Session, article_id: int) -> list[KnowledgeArticleVersion]:
    stmt = (
        select(KnowledgeArticleVersion)
        .where(KnowledgeArticleVersion.article_id == article_id)
        .order_by(KnowledgeArticleVersion.version.desc())
    )
    return list(session.scalars(stmt))


def version(session: Session, article_id: int, number: int) -> KnowledgeArticleVersion | None:
    stmt = select(KnowledgeArticleVersion).where(
        KnowledgeArticleVersion.article_id == article_id, KnowledgeArticleVersion.version == number
    )
    return session.scalars(stmt).first()


def recent(session: Session, kind: str | None, limit: int, offset: int) -> tuple[list[KnowledgeArticle], int]:
    stmt = select(KnowledgeArticle)
    count = select(func.count()).select_from(KnowledgeArticle)
    if kind:
        stmt, count = stmt.where(KnowledgeArticle.kind == kind), count.where(KnowledgeArticle.kind == kind)
    rows = session.scalars(stmt.order_by(KnowledgeArticle.updated_at.desc(), KnowledgeArticle.id.desc())
                           .limit(limit).offset(offset))  # fmt: skip
    return list(rows), int(session.scalar(count) or 0)


_vocabulary: dict[str, tuple[float, dict[str, int]]] = {}
VOCABULARY_SECONDS = 60.0  # document frequencies only choose a long question's terms: a minute old is fine


def document_frequencies(session: Session, terms: list[str]) -> dict[str, int]:
    """In how many articles each term occurs (to keep a long question's rarest terms), from
    FTS5's vocabulary, read at most once a minute."""
    if not terms or _pg(session):
        return {}  # PostgreSQL keeps no vocabulary table: a long question keeps its first terms
    got = _vocabulary.get("row")
    if got is None or time.monotonic() - got[0] > VOCABULARY_SECONDS:
        rows = session.execute(text(f"SELECT term, doc FROM {FTS_TABLE}_vocab"))
        got = (time.monotonic(), {r[0]: int(r[1]) for r in rows})
        _vocabulary["row"] = got
    return {t: got[1][t] for t in terms if t in got[1]}


@dataclass(frozen=True)
class Hit:
    article_id: int
    bm25: float  # higher is better


def _fts_query(terms: list[str]) -> str:
    return " OR ".join(f'"{t}"' for t in terms)


def _today_filter() -> str:
    return "(a.valid_until IS NULL OR a.valid_until >= :today) AND (a.valid_from IS NULL OR a.valid_from <= :today)"


def lexical(session: Session, terms: list[str], limit: int, today: date | None) -> list[Hit]:
    """The best `limit` articles for any of the terms, by BM25; only those valid on `today`
    when it is given."""
    if not terms:
        return []
    if _pg(session):
        return _lexical_pg(session, terms, limit, today)
    valid = f"AND {_today_filter()}" if today else ""
    rows = session.execute(
        text(
            f"SELECT a.id, bm25({FTS_TABLE}, {TITLE_WEIGHT}, 1.0) AS s FROM {FTS_TABLE} "
            f"JOIN knowledge_article a ON a.id = {FTS_TABLE}.rowid WHERE {FTS_TABLE} MATCH :q {valid} "
            "ORDER BY s LIMIT :k"
        ),
        {"q": _fts_query(terms), "k": limit, "today": today},
    )
    return [Hit(int(r[0]), -float(r[1])) for r in rows]


_stats: dict[str, tuple[float, int, float]] = {}  # "n" -> (read at, articles, mean terms)


def _corpus(session: Session) -> tuple[int, float]:
    got = _stats.get("n")
    if got is None or time.monotonic() - got[0] > 30:
        n, mean = session.execute(
            text("SELECT count(*), coalesce(avg(n_terms), 1) FROM knowledge_article")
        ).one()
        got = (time.monotonic(), int(n), float(mean) or 1.0)
        _stats["n"] = got
    return got[1], got[2]


def _lexical_pg(session: Session, terms: list[str], limit: int, today: date | None) -> list[Hit]:
    n, mean = _corpus(session)
    valid = f"AND {_today_filter()}" if today else ""
    # every article holding a term matches the OR query, so the matched rows give its document
    # frequency; a title occurrence (weight A) counts TITLE_WEIGHT times
    rows = session.execute(
        text(
            "WITH m AS (SELECT a.id, a.n_terms, a.search_vector FROM knowledge_article a "
            f"WHERE a.search_vector @@ CAST(:q AS tsquery) {valid}), "
            "tf AS (SELECT m.id, m.n_terms, u.lexeme, "
            f"sum(CASE WHEN w = 'A' THEN {TITLE_WEIGHT} ELSE 1 END) AS f "
            "FROM m, unnest(m.search_vector) u, unnest(u.weights) w "
            "WHERE u.lexeme = ANY(:terms) GROUP BY m.id, m.n_terms, u.lexeme), "
            "df AS (SELECT lexeme, count(*) AS d FROM tf GROUP BY lexeme) "
            "SELECT tf.id, sum(ln(1 + (:n - df.d + 0.5) / (df.d + 0.5)) * tf.f * (:k1 + 1) "
            "/ (tf.f + :k1 * (1 - :b + :b * tf.n_terms / :mean))) AS s "
            "FROM tf JOIN df USING (lexeme) GROUP BY tf.id ORDER BY s DESC, tf.id LIMIT :k"
        ),
        {"q": " | ".join(_quoted(t) for t in terms), "terms": terms, "n": n, "mean": mean, "k1": K1,
         "b": B, "k": limit, "today": today},
    )  # fmt: skip
    return [Hit(int(r[0]), float(r[1])) for r in rows]


def candidates(session: Session, ids: list[int]) -> dict[int, KnowledgeArticle]:
    if not ids:
        return {}
    heavy = (KnowledgeArticle.search_vector, KnowledgeArticle.title_terms, KnowledgeArticle.body_terms)
    stmt = select(KnowledgeArticle).options(*(defer(c) for c in heavy)).where(KnowledgeArticle.id.in_(ids))
    return {a.id: a for a in session.scalars(stmt)}


def vectors_version(session: Session) -> tuple[int, str]:
    """Changes whenever an article is added or saved: (count, latest change)."""
    n, last = session.execute(text("SELECT count(*), max(updated_at) FROM knowledge_article")).one()
    return int(n), str(last)


def all_vectors(session: Session, today: date | None) -> list[tuple[int, bytes]]:
    valid = f"AND {_today_filter()}" if today else ""
    rows = session.execute(text(f"SELECT a.id, a.vector FROM knowledge_article a WHERE a.vector IS NOT NULL {valid}"),
                           {"today": today})  # fmt: skip
    return [(int(r[0]), bytes(r[1])) for r in rows]
