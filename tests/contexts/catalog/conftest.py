"""Catalog tests: the demo catalog registered (idempotently) in the session database, and a
live server for real CKAN clients (the browser tests' uvicorn-in-a-thread fixture)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import browser, live_server, tab

__all__ = ["browser", "catalog", "live_server", "tab"]

DEMO_CODES = (
    "330100-BDC-0001", "330100-GA-0001", "330100-MZ-0001", "330100-RS-0001", "330100-SJ-0001",
    "330100-SW-0001", "330100-WJ-0001",
)  # fmt: skip


@pytest.fixture(scope="session", autouse=True)
def catalog(database: str) -> Iterator[None]:
    from yiwang.contexts.catalog.seed import seed_catalog
    from yiwang.core.db import transaction

    with transaction() as session:
        seed_catalog(session)
    yield


@pytest.fixture
def ckan(live_server: str) -> Iterator[Any]:
    """ckanapi's RemoteCKAN as a harvester would use it: JSON POSTs to /api/action/."""
    import ckanapi

    with ckanapi.RemoteCKAN(live_server, user_agent="yiwang-tests") as ck:
        yield ck
