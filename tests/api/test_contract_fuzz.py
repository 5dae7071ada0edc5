"""The API keeps its contract under schemathesis: every check, a fixed seed, a short run, on the
test database (SQLite, or PostgreSQL with YIWANG_TEST_POSTGRES), as an API client with the
identity and exchange scopes. Longer runs with other seeds: `python -m tests.api.fuzz 600 7`."""

from __future__ import annotations

import pytest

from tests.api.fuzz import fuzz_run

pytestmark = pytest.mark.slow


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(database: str) -> None:
    result = fuzz_run()
    assert result.operations > 30 and result.tested == result.operations, result.output[
        -3000:
    ]  # it really ran
    assert result.requests >= result.tested, result.output[-3000:]
    assert result.server_errors == 0, "\n".join(result.failures) + result.output[-3000:]
    assert result.undocumented == 0, "\n".join(result.failures) + result.output[-3000:]
    assert result.exit_code == 0, "\n".join(result.failures) + result.output[-6000:]
