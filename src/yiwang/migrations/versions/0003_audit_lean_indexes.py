"""audit_record: subject indexes of the rows that have that subject; no index on action

Every audit row maintained five btrees. Nothing looks rows up by action, and a row is about a
person, an enterprise or neither, so most entries of each subject index were NULLs nobody
reads. A batch call of the exchange writes one row per key (up to 1,000), all of them in the
group-commit writer's section under the chain lock.

On PostgreSQL the indexes are built and dropped CONCURRENTLY, outside a transaction: every
answered call writes audit rows, and a plain CREATE INDEX on a large table would hold them all
back until it finished. The new index is built under a temporary name, then takes the old
one's place.

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
    if op.get_bind().dialect.name != "postgresql":
        op.drop_index("ix_audit_record_action", table_name="audit_record")
        for column in _SUBJECTS:
            where = sa.text(f"{column} IS NOT NULL")
            op.drop_index(f"ix_audit_record_{column}", table_name="audit_record")
            op.create_index(f"ix_audit_record_{column}", "audit_record", [column], sqlite_where=where)
        return
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_audit_record_action")
        for column in _SUBJECTS:
            name = f"ix_audit_record_{column}"
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}_partial")  # a build cut short before
            op.execute(f"CREATE INDEX CONCURRENTLY {name}_partial ON audit_record ({column}) "
                       f"WHERE {column} IS NOT NULL")  # fmt: skip
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            op.execute(f"ALTER INDEX {name}_partial RENAME TO {name}")


def downgrade() -> None:
    for column in _SUBJECTS:
        op.drop_index(f"ix_audit_record_{column}", table_name="audit_record")
        op.create_index(f"ix_audit_record_{column}", "audit_record", [column])
    op.create_index("ix_audit_record_action", "audit_record", ["action"])
