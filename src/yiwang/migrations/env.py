"""Alembic environment: every context's tables, SQLite in batch mode."""

from __future__ import annotations

from alembic import context

from yiwang.core.db import Base, make_engine
from yiwang.models import load_all
from yiwang.settings import get_settings

load_all()
target_metadata = Base.metadata
url = context.config.get_main_option("sqlalchemy.url") or get_settings().database_url


def run() -> None:
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context.configure(
                connection=conn,
                target_metadata=target_metadata,
                render_as_batch=conn.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
            conn.commit()
    finally:
        engine.dispose()


run()
