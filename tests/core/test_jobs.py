"""The periodic job runner: each transactional job in its own transaction, a failing job rolled
back without stopping the others, the thread runs and stops, and on PostgreSQL a job already
running in another process is skipped."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from yiwang.core import audit, jobs
from yiwang.core.actor import SYSTEM
from yiwang.core.db import transaction
from yiwang.settings import get_settings


@pytest.fixture
def names() -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    for name in made:
        jobs.unregister(name)


def _audited(marker: str) -> int:
    with transaction() as s:
        return int(
            s.execute(
                text("SELECT count(*) FROM audit_record WHERE target_id = :m"), {"m": marker}
            ).scalar_one()
        )


def test_transactional_jobs_commit_and_a_failing_one_rolls_back_alone(database, names) -> None:
    ok_marker, bad_marker = uuid.uuid4().hex, uuid.uuid4().hex
    seen: list[Session] = []

    def ok(session: Session) -> str:
        seen.append(session)
        audit.record(session, SYSTEM, "test.job_ok", "job", ok_marker)
        return "done"

    def bad(session: Session) -> None:
        audit.record(session, SYSTEM, "test.job_bad", "job", bad_marker)
        raise RuntimeError("boom")

    names += ["test.bad", "test.ok"]
    jobs.register("test.bad", 60, bad)
    jobs.register("test.ok", 60, ok)
    results = jobs.run_once(["test.bad", "test.ok"])
    assert isinstance(results["test.bad"], RuntimeError) and results["test.ok"] == "done"
    assert _audited(ok_marker) == 1 and _audited(bad_marker) == 0
    assert len(seen) == 1
    with pytest.raises(KeyError):
        jobs.run_once(["test.no_such_job"])


def test_the_runner_thread_runs_jobs_on_their_interval_and_stops(database, names) -> None:
    calls: list[float] = []
    names += ["test.tick", "test.free"]
    jobs.register("test.tick", 0.05, lambda _s: calls.append(time.monotonic()))
    jobs.register("test.free", 3600, lambda: calls.append(-1.0), transactional=False)
    runner = jobs.Runner(tick=0.01)
    runner.start()
    deadline = time.monotonic() + 10
    while len([c for c in calls if c > 0]) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    runner.stop()
    ticks = [c for c in calls if c > 0]
    assert len(ticks) >= 3 and calls.count(-1.0) == 1  # the hourly job ran once, at start
    assert ticks == sorted(ticks)  # one run after the other (how far apart is the machine's business)
    assert not runner._thread.is_alive()
    n = len(calls)
    time.sleep(0.1)
    assert len(calls) == n  # stopped means stopped


def test_a_job_running_in_another_process_is_skipped(database, names) -> None:
    if not get_settings().database_url.startswith("postgresql"):
        pytest.skip("advisory locks are PostgreSQL's; SQLite has one writer at a time")
    calls: list[int] = []
    names.append("test.locked")
    jobs.register("test.locked", 60, lambda _s: calls.append(1))
    with transaction() as other:  # another process holds the job's lock
        held = other.scalar(
            select(func.pg_try_advisory_xact_lock(jobs._JOB_LOCK, jobs._lock_key("test.locked")))
        )
        assert held
        assert jobs.run_once(["test.locked"])["test.locked"] is jobs.SKIPPED
    assert calls == []
    jobs.run_once(["test.locked"])
    assert calls == [1]


def test_audit_sealing_is_a_job(database) -> None:
    jobs.register_core_jobs(0.5)
    with transaction() as s:
        audit.record(s, SYSTEM, "test.seal_me", "job", uuid.uuid4().hex)
    assert jobs.run_once(["audit.seal"])["audit.seal"] >= 1
    with transaction() as s:
        assert s.execute(text("SELECT count(*) FROM audit_record WHERE chain_seq IS NULL")).scalar() == 0
