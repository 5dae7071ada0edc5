"""The Alembic migrations build exactly the schema the models declare (tables, columns,
indexes, partial ones included), on the test database's engine: SQLite or PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import yiwang.models  # noqa: F401  (every context's tables on the metadata)
from yiwang.core.db import Base, get_engine


def test_migrated_schema_matches_the_models() -> None:
    with get_engine().connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
