"""A small periodic job runner: name -> interval -> function.

A transactional job is `fn(session)`, run in its own transaction under a per-job lock
(PostgreSQL `pg_try_advisory_xact_lock`: when another process is running the same job the
run is skipped; SQLite has one writer at a time anyway). A free job is `fn()` and handles
its own transactions and concurrency (webhook delivery claims rows with SKIP LOCKED and a
lease, the audit sealer takes its own lock). So any number of processes may run the jobs.

`Runner` is a daemon thread started in the app's lifespan; `run_once()` runs every job now
(CLI `yiwang jobs run-once`, tests). Contexts register their jobs from the entry points.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiwang.core.db import transaction

log = logging.getLogger(__name__)
_JOB_LOCK = 0x7978  # advisory-lock namespace (two-key form) of jobs
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Job:
    name: str
    interval: float  # seconds between runs in one process
    fn: Callable[..., Any]
    transactional: bool = True


_REGISTRY: dict[str, Job] = {}


def register(name: str, interval: float, fn: Callable[..., Any], *, transactional: bool = True) -> Job:
    """Add or replace a job (registering again under the same name is harmless)."""
    job = Job(name, interval, fn, transactional)
    _REGISTRY[name] = job
    return job


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def registered() -> list[Job]:
    return list(_REGISTRY.values())


def _lock_key(name: str) -> int:
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def _try_lock(session: Session, name: str) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.scalar(select(func.pg_try_advisory_xact_lock(_JOB_LOCK, _lock_key(name)))))


class Skipped:
    """The result of a run skipped because another process holds the job's lock."""

    def __repr__(self) -> str:
        return "skipped"


SKIPPED = Skipped()


def run_job(job: Job) -> Any:
    """Run one job now; exceptions propagate (a transactional job's work is rolled back)."""
    if not job.transactional:
        return job.fn()
    with transaction() as session:
        if not _try_lock(session, job.name):
            return SKIPPED
        return job.fn(session)


def run_once(names: Iterable[str] | None = None) -> dict[str, Any]:
    """Run the named (default: all) jobs once; a failing job is logged and reported, the
    others still run. Returns name -> result (or the exception)."""
    wanted = list(names) if names is not None else list(_REGISTRY)
    unknown = [n for n in wanted if n not in _REGISTRY]
    if unknown:
        raise KeyError(f"unknown jobs: {', '.join(unknown)}")
    results: dict[str, Any] = {}
    for name in wanted:
        try:
            results[name] = run_job(_REGISTRY[name])
        except Exception as exc:
            log.exception("job %s failed", name)
            results[name] = exc
    return results


class Runner:
    """Runs every registered job on its interval in one daemon thread until stopped."""

    def __init__(self, tick: float = 0.2) -> None:
        self.tick = tick
        self.runs: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="yiwang-jobs", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 15) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)

    def _loop(self) -> None:
        due: dict[str, float] = {}
        while not self._stop.is_set():
            for job in registered():
                now = time.monotonic()
                if self._stop.is_set() or due.get(job.name, 0.0) > now:
                    continue
                due[job.name] = now + job.interval
                try:
                    run_job(job)
                    self.runs[job.name] = self.runs.get(job.name, 0) + 1
                except Exception:
                    log.exception("job %s failed; will run again", job.name)
            self._stop.wait(self.tick)


def in_rounds(one_round: Callable[[], int], full: int, max_rounds: int = 10) -> int:
    """A job that works in batches (`one_round` returns how many rows it claimed): rounds
    until one claims less than a full batch, at most `max_rounds` a run, so that the runner's
    other jobs get their turn. Returns the rows claimed."""
    total = 0
    for _ in range(max_rounds):
        claimed = one_round()
        total += claimed
        if claimed < full:
            break
    return total


def in_threads(fn: Callable[[T], R], items: Sequence[T], threads: int, name: str) -> list[R]:
    """`fn` of every item on up to `threads` threads, results in order: a job's sends, which
    wait on the network with no transaction open."""
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=min(threads, len(items)), thread_name_prefix=name) as pool:
        return list(pool.map(fn, items))


def register_core_jobs(audit_seal_interval: float) -> None:
    from yiwang.core import events_dispatch, notify_delivery, workflow_timers
    from yiwang.core.audit_sealer import seal_all
    from yiwang.settings import get_settings

    register("audit.seal", audit_seal_interval, seal_all, transactional=False)
    register("events.sweep", get_settings().events_sweep_interval, events_dispatch.sweep, transactional=False)
    register("workflow.timers", 2.0, workflow_timers.run_timers, transactional=False)
    register("notify.deliver", get_settings().notify_deliver_interval, notify_delivery.deliver_all,
             transactional=False)  # fmt: skip
