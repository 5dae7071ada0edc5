"""The API keeps its contract under schemathesis: every check, a fixed seed, a short run, on the
test database (SQLite, or PostgreSQL with YIWANG_TEST_POSTGRES), as an API client with the
identity and exchange scopes. Longer runs with other seeds: `python -m tests.api.fuzz 600 7`."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.fuzz import fuzz_run

pytestmark = pytest.mark.slow


@pytest.fixture
def fuzz_database(database: str, tmp_path: Any) -> Iterator[str]:
    """A database of the run's own, on the same kind of server as the suite's: the run writes
    (persons, tasks, requests), and the other tests in this process must not see it."""
    pg = os.environ.get("YIWANG_TEST_POSTGRES")
    if not pg:
        yield f"sqlite:///{tmp_path}/fuzz.db"
        return
    from sqlalchemy import create_engine, text

    name = f"yiwang_fuzz_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{pg.rstrip('/')}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{pg.rstrip('/')}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(fuzz_database: str) -> None:
    result = fuzz_run(database_url=fuzz_database)
    assert result.operations > 30 and result.tested == result.operations, result.output[
        -3000:
    ]  # it really ran
    assert result.requests >= result.tested, result.output[-3000:]
    assert result.server_errors == 0, "\n".join(result.failures) + result.output[-3000:]
    assert result.undocumented == 0, "\n".join(result.failures) + result.output[-3000:]
    assert result.exit_code == 0, "\n".join(result.failures) + result.output[-6000:]
