"""Test set-up: a fresh database per run (SQLite file, or a new PostgreSQL database when
YIWANG_TEST_POSTGRES is set), migrated with Alembic and seeded with the small demo city."""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# Behaviour, not timing: a loaded CI machine must not fail a property test for being slow.
settings.register_profile("yiwang", deadline=None)
settings.load_profile("yiwang")

_tmp = Path(tempfile.mkdtemp(prefix="yiwang-test-"))
_pg_server = os.environ.get("YIWANG_TEST_POSTGRES")  # e.g. postgresql+psycopg://postgres@127.0.0.1:5432
_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
if _pg_server:
    _dbname = f"yiwang_test_{uuid.uuid4().hex[:8]}_{_worker}"
    os.environ["YIWANG_DATABASE_URL"] = f"{_pg_server.rstrip('/')}/{_dbname}"
else:
    os.environ["YIWANG_DATABASE_URL"] = f"sqlite:///{_tmp}/test.db"
os.environ["YIWANG_ENV"] = "test"
os.environ["YIWANG_SECRET_KEY"] = "test-secret-key-for-yiwang-tests-0123456789"
os.environ["YIWANG_LOG_LEVEL"] = "WARNING"
os.environ["YIWANG_AUDIT_CHECKPOINT_EVERY"] = "50"

DEMO_PASSWORD = "yiwang-demo"


def _admin_url() -> str:
    assert _pg_server
    return f"{_pg_server.rstrip('/')}/postgres"


def _create_pg_database() -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{_dbname}"'))
    engine.dispose()


def _drop_pg_database() -> None:
    from sqlalchemy import create_engine, text

    assert re.fullmatch(r"yiwang_test_[0-9a-f]{8}_\w+", _dbname)
    engine = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{_dbname}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def database() -> Iterator[str]:
    from yiwang.contexts import load
    from yiwang.core import migrations
    from yiwang.core.db import reset_engine
    from yiwang.demo import seed_demo

    load()  # every context's policies, event types and subscribers, as in every entry point
    if _pg_server:
        _create_pg_database()
    url = os.environ["YIWANG_DATABASE_URL"]
    migrations.upgrade(url)
    seed_demo("small", 2026)
    yield url
    reset_engine()
    if _pg_server:
        _drop_pg_database()


@pytest.fixture(scope="session")
def app(database: str):  # type: ignore[no-untyped-def]
    from yiwang.app import create_app

    return create_app(seal_in_background=False)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from yiwang.core.security import limiter

    limiter.reset()
    with TestClient(app) as c:
        yield c


def login(client, username: str, password: str = DEMO_PASSWORD):  # type: ignore[no-untyped-def]
    """Log in through the real form (CSRF cookie and token included); returns the response."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
        follow_redirects=False,
    )


def csrf_of(client, path: str = "/") -> str:  # type: ignore[no-untyped-def]
    page = client.get(path)
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert m, page.text[:300]
    return m.group(1)


@pytest.fixture
def as_user(app):  # type: ignore[no-untyped-def]
    """Factory: a logged-in TestClient for a demo username."""
    from fastapi.testclient import TestClient

    from yiwang.core.security import limiter

    clients = []

    def make(username: str) -> TestClient:
        limiter.reset()
        c = TestClient(app)
        c.__enter__()
        r = login(c, username)
        assert r.status_code == 303, r.text[:500]
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)
