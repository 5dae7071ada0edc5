"""audit_record: subject indexes of the rows that have that subject; no index on action

Every audit row maintained five btrees. Nothing looks rows up by action, and a row is about a
person, an enterprise or neither, so most entries of each subject index were NULLs nobody
reads. A batch call of the exchange writes one row per key (up to 1,000), all of them in the
group-commit writer's section under the chain lock.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 10:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_SUBJECTS = ("subject_person_id", "subject_enterprise_id")


def upgrade() -> None:
    op.drop_index("ix_audit_record_action", table_name="audit_record")
    for column in _SUBJECTS:
        where = sa.text(f"{column} IS NOT NULL")
        op.drop_index(f"ix_audit_record_{column}", table_name="audit_record")
        op.create_index(f"ix_audit_record_{column}", "audit_record", [column],
                        postgresql_where=where, sqlite_where=where)  # fmt: skip


def downgrade() -> None:
    for column in _SUBJECTS:
        op.drop_index(f"ix_audit_record_{column}", table_name="audit_record")
        op.create_index(f"ix_audit_record_{column}", "audit_record", [column])
    op.create_index("ix_audit_record_action", "audit_record", ["action"])
