"""audit_record: a partial index of the rows not yet linked into the chain

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 08:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_WHERE = sa.text("chain_seq IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_audit_record_unsealed", "audit_record", ["id"], postgresql_where=_WHERE, sqlite_where=_WHERE
    )


def downgrade() -> None:
    op.drop_index("ix_audit_record_unsealed", table_name="audit_record")
