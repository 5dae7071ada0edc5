"""knowledge base: articles with their versions, pre-cut terms and passage vectors; the full-text
index (SQLite FTS5 over the terms; PostgreSQL tsvector + GIN)

Revision ID: 0030
Revises: 0007
Create Date: 2026-12-04 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import yiwang.core.db

revision = "0030"
down_revision = "0020"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "knowledge_article",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sa.String(length=500), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title_terms", sa.Text(), nullable=False),
        sa.Column("body_terms", sa.Text(), nullable=False),
        sa.Column("n_terms", sa.Integer(), nullable=False),
        sa.Column("search_vector", postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite"), nullable=True),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", yiwang.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yiwang.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_article")),
        sa.UniqueConstraint("external_id", name="uq_knowledge_article_external_id"),
    )
    op.create_index(
        "ix_knowledge_article_search", "knowledge_article", ["search_vector"], postgresql_using="gin"
    )
    op.create_table(
        "knowledge_article_version",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("article_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sa.String(length=500), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("edited_by", sa.String(length=100), nullable=False),
        sa.Column("edited_at", yiwang.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["knowledge_article.id"],
            name=op.f("fk_knowledge_article_version_article_id_knowledge_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_article_version")),
        sa.UniqueConstraint("article_id", "version", name="uq_knowledge_article_version"),
    )
    if op.get_bind().dialect.name == "sqlite":
        # the terms are cut by rjieba and joined by spaces: unicode61 splits on exactly those
        op.execute(
            "CREATE VIRTUAL TABLE knowledge_fts USING fts5(title_terms, body_terms, "
            "content='knowledge_article', content_rowid='id', tokenize='unicode61')"
        )
        op.execute("CREATE VIRTUAL TABLE knowledge_fts_vocab USING fts5vocab(knowledge_fts, 'row')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS knowledge_fts_vocab")
        op.execute("DROP TABLE IF EXISTS knowledge_fts")
    op.drop_table("knowledge_article_version")
    op.drop_index("ix_knowledge_article_search", table_name="knowledge_article")
    op.drop_table("knowledge_article")
