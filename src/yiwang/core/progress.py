"""Resumable long work (seeding, imports): how far each named job got, committed with each batch."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from yiwang.core.db import Base, transaction


class JobProgress(Base):
    __tablename__ = "job_progress"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    done: Mapped[int] = mapped_column(Integer, default=0)


def done(session: Session, key: str) -> int:
    state = session.get(JobProgress, key)
    return state.done if state else 0


def advance(session: Session, key: str, value: int) -> None:
    state = session.get(JobProgress, key) or JobProgress(key=key, done=0)
    state.done = value
    session.add(state)


def load_resumable(
    key: str,
    rows: Iterable[Any],
    write: Callable[[Session, list[Any]], None],
    batch: int = 5000,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Load generated rows in committed batches (`write` bulk-inserts one batch), skipping
    what an earlier run loaded.

    Each batch and its progress mark commit together, so an interrupted load resumes exactly
    where it stopped and a repeated one adds nothing. Returns the number of rows added now.
    """
    with transaction() as s:
        already = done(s, key)
    if on_batch:
        on_batch(already)
    added = 0
    it = islice(rows, already, None)
    while chunk := list(islice(it, batch)):
        with transaction() as s:
            write(s, chunk)
            advance(s, key, already + added + len(chunk))
        added += len(chunk)
        if on_batch:
            on_batch(len(chunk))
    return added
