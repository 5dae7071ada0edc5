"""The knowledge base (知识库): articles (policies, service guides, hotline answers) and every
version of each. An article stores its text cut into terms (for SQLite FTS5 and PostgreSQL's
tsvector) and its passage vector, both computed when it is written, never when it is searched."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from yiwang.core.db import Base, UTCDateTime

ID = BigInteger().with_variant(Integer, "sqlite")
KINDS = {"policy": "政策文件", "guide": "办事指南", "answer": "热线答复"}
# tables the migration builds by hand (SQLite FTS5 and its shadow tables), not the models
FTS_TABLE = "knowledge_fts"
Base.metadata.info.setdefault("unmanaged_prefixes", set()).add(FTS_TABLE)


class KnowledgeArticle(Base):
    """知识库文章: the current version of an article."""

    __tablename__ = "knowledge_article"
    __table_args__ = (
        UniqueConstraint("external_id", name="uq_knowledge_article_external_id"),
        Index("ix_knowledge_article_search", "search_vector", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))  # policy | guide | answer
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[str] = mapped_column(String(500), default="")  # space separated
    department_id: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    title_terms: Mapped[str] = mapped_column(Text)
    body_terms: Mapped[str] = mapped_column(Text)
    n_terms: Mapped[int] = mapped_column(Integer)
    # PostgreSQL: to_tsvector('simple', title_terms || body_terms), GIN-indexed; SQLite: FTS5
    search_vector: Mapped[str | None] = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"))
    vector: Mapped[bytes | None] = mapped_column(LargeBinary)  # float16 x 384, unit length
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class KnowledgeArticleVersion(Base):
    """One saved version of an article: what it said, who wrote it, when and why."""

    __tablename__ = "knowledge_article_version"
    __table_args__ = (UniqueConstraint("article_id", "version", name="uq_knowledge_article_version"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    article_id: Mapped[int] = mapped_column(ID, ForeignKey("knowledge_article.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[str] = mapped_column(String(500), default="")
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")
    edited_by: Mapped[str] = mapped_column(String(100))
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime())
