"""Alembic driven from code: `yiwang db upgrade`, and the readiness check's revision compare."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

SCRIPTS = Path(__file__).resolve().parent.parent / "migrations"


def config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(config(url), revision)


def revisions(conn: Connection) -> tuple[str | None, str | None]:
    current = MigrationContext.configure(conn).get_current_revision()
    head = ScriptDirectory.from_config(config()).get_current_head()
    return current, head
