"""single sign-on: OpenID Connect relying parties, authorization codes, tokens, signing keys

Revision ID: 0040
Revises: 0007
Create Date: 2026-12-04 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yiwang.core.db

revision = "0040"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oidc_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("secret_hash", sa.String(length=200), nullable=False),
        sa.Column("redirect_uris", sa.JSON(), nullable=False),
        sa.Column("post_logout_redirect_uris", sa.JSON(), nullable=False),
        sa.Column("scopes", sa.String(length=200), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", yiwang.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_client")),
        sa.UniqueConstraint("client_id", name=op.f("uq_oidc_client_client_id")),
    )
    op.create_table(
        "oidc_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=40), nullable=False),
        sa.Column("alg", sa.String(length=10), nullable=False),
        sa.Column("private_enc", sa.LargeBinary(), nullable=False),
        sa.Column("public_jwk", sa.JSON(), nullable=False),
        sa.Column("created_at", yiwang.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", yiwang.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", yiwang.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_key")),
        sa.UniqueConstraint("kid", name=op.f("uq_oidc_key_kid")),
    )
    op.create_table(
        "oidc_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("client_pk", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("nonce", sa.String(length=200), nullable=True),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("code_challenge_method", sa.String(length=10), nullable=False),
        sa.Column("auth_time", yiwang.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", yiwang.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", yiwang.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_pk"], ["oidc_client.id"], name=op.f("fk_oidc_code_client_pk_oidc_client")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_oidc_code_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_oidc_code_code_hash")),
    )
    with op.batch_alter_table("oidc_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oidc_code_client_pk"), ["client_pk"], unique=False)
    op.create_table(
        "oidc_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("access_token_hash", sa.String(length=64), nullable=False),
        sa.Column("refresh_token_hash", sa.String(length=64), nullable=True),
        sa.Column("client_pk", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=True),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("issued_at", yiwang.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", yiwang.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("refresh_expires_at", yiwang.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_pk"], ["oidc_client.id"], name=op.f("fk_oidc_token_client_pk_oidc_client")
        ),
        sa.ForeignKeyConstraint(["code_id"], ["oidc_code.id"], name=op.f("fk_oidc_token_code_id_oidc_code")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_oidc_token_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_token")),
        sa.UniqueConstraint("access_token_hash", name=op.f("uq_oidc_token_access_token_hash")),
        sa.UniqueConstraint("refresh_token_hash", name=op.f("uq_oidc_token_refresh_token_hash")),
    )
    with op.batch_alter_table("oidc_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oidc_token_client_pk"), ["client_pk"], unique=False)
        batch_op.create_index(batch_op.f("ix_oidc_token_code_id"), ["code_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_oidc_token_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("oidc_token")
    op.drop_table("oidc_code")
    op.drop_table("oidc_key")
    op.drop_table("oidc_client")
