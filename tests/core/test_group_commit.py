"""Group commit: many requests' records in one transaction, each request released only after
its records are committed; a refusal or a poisoned record affects only its own request."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextvars import copy_context
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from yiwang.core import audit, group_commit
from yiwang.core.actor import SYSTEM
from yiwang.core.db import transaction
from yiwang.core.errors import Conflict, DomainError


def _count(action: str) -> int:
    with transaction() as s:
        return int(
            s.execute(text("SELECT count(*) FROM audit_record WHERE action = :a"), {"a": action}).scalar()
            or 0
        )


class _Probe:
    """Writes one audit row per item; refuses items named 'refuse'; 'poison' breaks any batch."""

    name = "test.probe"

    def __init__(self) -> None:
        self.batches: list[int] = []
        self.refusals: list[str] = []
        self.gate = threading.Event()
        self.entered = threading.Event()

    def write(self, session: Session, items: Sequence[str]) -> list[DomainError | None]:
        self.entered.set()
        self.gate.wait(5)  # hold the first batch so that the others queue up behind it
        if "poison" in items:
            raise RuntimeError("a constraint violated by a concurrent process")
        self.batches.append(len(items))
        ok = [i for i in items if i != "refuse"]
        audit.insert_prepared(session, [audit.prepare_many(SYSTEM, "test.probe_write", [("probe", i, None, None)])[0]
                                        for i in ok])  # fmt: skip
        return [Conflict("refused") if i == "refuse" else None for i in items]

    def refused(self, session: Session, items: Sequence[tuple[str, DomainError]]) -> None:
        self.refusals += [i for i, _ in items]

    def write_at_once(self, batch: group_commit.AtOnce, items: Sequence[str]) -> None:
        batch.checks.append(lambda: False)  # always the careful path, which the gate holds


def _request(kind: _Probe, item: str, out: dict[str, Any]) -> None:
    """What a request does: open its scope, submit, then wait for its records."""

    def run() -> None:
        records = group_commit.open_scope()
        with transaction() as s:
            group_commit.submit(s, kind, item)
        try:
            records.wait(10)
            out[item] = "ok"
        except Exception as exc:
            out[item] = exc

    copy_context().run(run)


def _concurrent(kind: _Probe, names: list[str]) -> tuple[dict[str, Any], int]:
    """Run one request per name at once; the outcomes and how many probe rows they committed."""
    out: dict[str, Any] = {}
    threads = [threading.Thread(target=_request, args=(kind, n, out)) for n in names]
    before = _count("test.probe_write")
    for t in threads:
        t.start()
    kind.gate.set()
    for t in threads:
        t.join(10)
    return out, _count("test.probe_write") - before


def test_records_of_concurrent_requests_share_transactions_and_are_durable_when_released() -> None:
    kind = _Probe()
    out, written = _concurrent(kind, [f"r{i}" for i in range(20)])
    assert out == {f"r{i}": "ok" for i in range(20)}
    assert written == 20  # each released request's record is committed
    assert sum(kind.batches) == 20 and len(kind.batches) < 20  # fewer transactions than requests


def test_a_refused_or_poisoned_record_fails_only_its_own_request() -> None:
    kind = _Probe()
    out, written = _concurrent(kind, ["a", "refuse", "b", "poison", "c"])
    assert [out[n] for n in ("a", "b", "c")] == ["ok"] * 3
    assert isinstance(out["refuse"], Conflict) and kind.refusals == ["refuse"]
    assert isinstance(out["poison"], RuntimeError)
    assert written == 3


def test_outside_a_request_records_join_the_callers_transaction() -> None:
    kind = _Probe()
    kind.gate.set()
    before = _count("test.probe_write")
    with pytest.raises(RuntimeError), transaction() as s:
        group_commit.submit(s, kind, "x")
        raise RuntimeError("the caller's transaction rolls back")
    assert _count("test.probe_write") == before
    with pytest.raises(Conflict), transaction() as s:
        group_commit.submit(s, kind, "refuse")


def test_a_request_that_gave_up_is_dropped_and_no_batch_is_written_twice() -> None:
    """A request that stopped waiting before the writer took its record (the 30 s limit) is not
    written; the writer reports every committed batch exactly once."""
    kind = _Probe()
    before = _count("test.probe_write")
    first: dict[str, Any] = {}
    holder = threading.Thread(target=_request, args=(kind, "first", first))
    holder.start()
    assert kind.entered.wait(5)  # the writer has taken "first" and waits at the gate

    def give_up() -> bool:
        records = group_commit.open_scope()
        with transaction() as s:
            group_commit.submit(s, kind, "abandoned")
        records.cancel()
        return records.jobs[0].done.cancelled()

    assert copy_context().run(give_up)
    out, written = _concurrent(kind, ["later"])  # opens the gate
    holder.join(10)
    assert first == {"first": "ok"} and out == {"later": "ok"}
    assert written + before == _count("test.probe_write") and _count("test.probe_write") - before == 2
    assert sorted(kind.batches) in ([1, 1], [2]) and sum(kind.batches) == 2


def test_a_request_waits_for_its_records_in_order_and_a_stuck_writer_answers_503(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The unit of work's wait (`deps._durable`) on the event loop: the first refusal among a
    request's records becomes its answer; on the error path refusals are ignored; a writer that
    never answers turns into 503 after DURABLE_TIMEOUT, and nothing is left waiting."""
    import asyncio
    from concurrent.futures import Future, ThreadPoolExecutor

    from yiwang.core.errors import Unavailable
    from yiwang.core.web import deps

    monkeypatch.setattr(deps, "DURABLE_TIMEOUT", 0.05)
    kind = _Probe()

    def scope(*outcomes: Exception | str | None) -> group_commit.Scope:
        """A request's scope whose records the writer settles with `outcomes` ("stuck": never)."""
        records = group_commit.Scope(asyncio.get_running_loop())
        records.jobs = [group_commit._Job(kind, str(i), Future(), records) for i in range(len(outcomes))]
        done = [(j, o) for j, o in zip(records.jobs, outcomes, strict=True) if o != "stuck"]
        for j, _ in done:
            j.done.set_running_or_notify_cancel()  # taken by the writer
        asyncio.get_running_loop().run_in_executor(None, group_commit._report, done)  # the writer's thread
        return records

    async def scenario() -> None:
        await deps._durable(scope(None, None))
        with pytest.raises(Conflict):
            await deps._durable(scope(None, Conflict("重放"), DomainError("后一个")))
        await deps._durable(scope(Conflict("重放")), raise_refusal=False)
        stuck = scope(None, "stuck", "stuck")
        with pytest.raises(Unavailable):
            await deps._durable(stuck)
        assert all(j.done.cancelled() for j in stuck.jobs[1:])  # dropped by the writer: never written
        await deps._durable(scope("stuck"), raise_refusal=False)

    # In a thread of its own: the browser tests' driver may keep an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, scenario()).result()


def test_the_writer_wakes_each_loop_once_per_batch() -> None:
    """All requests of one loop in a committed batch are released by one wake-up of that loop."""
    import asyncio
    from concurrent.futures import Future, ThreadPoolExecutor

    kind = _Probe()

    async def scenario() -> int:
        loop = asyncio.get_running_loop()
        posted = 0
        real = loop.call_soon_threadsafe

        def counting(callback: Any, *args: Any) -> Any:
            nonlocal posted
            posted += callback is group_commit._wake  # not the executor's own completion
            return real(callback, *args)

        loop.call_soon_threadsafe = counting  # type: ignore[method-assign]
        scopes = [group_commit.Scope(loop) for _ in range(5)]
        for i, records in enumerate(scopes):
            records.jobs = [group_commit._Job(kind, str(i), Future(), records)]
            records.jobs[0].done.set_running_or_notify_cancel()
        loop.run_in_executor(None, group_commit._report, [(s.jobs[0], None) for s in scopes])
        for records in scopes:
            await records.durable(5)
        return posted

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, scenario()).result() == 1


def _on_a_loop(scenario: Any) -> Any:
    """Run `scenario()` as requests on an event loop would, then close that loop's writer.
    In a thread of its own: the browser tests' driver may keep an event loop running in this one."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    async def run() -> Any:
        try:
            return await scenario()
        finally:
            await group_commit.close_loop_writer()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


async def _request_on_loop(kind: Any, item: Any) -> Any:
    """An async route's records: submitted and awaited on the loop (its loop writer on PostgreSQL)."""
    import asyncio

    async def run() -> Any:
        records = group_commit.open_scope()
        group_commit.submit(None, kind, item)  # type: ignore[arg-type]  # in a scope: no session used
        try:
            await records.durable(10)
        except Exception as exc:
            return exc
        return "ok"

    return await asyncio.get_running_loop().create_task(run())  # a task: a context of its own


def _row(action: str, i: int) -> list[dict[str, Any]]:
    """One audit row to group-commit (what `audit.record_read` submits)."""
    return audit.prepare_many(SYSTEM, action, [("probe", i, None, None)])


def _pg_only() -> None:
    import os

    if not os.environ["YIWANG_DATABASE_URL"].startswith("postgresql"):
        pytest.skip("the loop writer is PostgreSQL's (SQLite's records go to the writer thread)")


def test_records_of_async_requests_are_committed_by_their_loops_writer_in_shared_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On the loop: many requests' audit rows in fewer transactions than requests, each request
    released once its rows are committed and chained, no writer thread involved."""
    import asyncio

    _pg_only()
    batches: list[int] = []
    real = group_commit._commit_at_once_async

    async def counting(conn: Any, jobs: list[Any]) -> bool:
        batches.append(len(jobs))
        return await real(conn, jobs)

    async def scenario() -> list[Any]:
        return list(await asyncio.gather(*(_request_on_loop(audit.ROWS, _row("test.loop_write", i))
                                           for i in range(30))))  # fmt: skip

    before = _count("test.loop_write")
    monkeypatch.setattr(group_commit, "_commit_at_once_async", counting)
    out = _on_a_loop(scenario)
    assert out == ["ok"] * 30
    assert _count("test.loop_write") - before == 30
    assert sum(batches) == 30 and len(batches) < 30
    with transaction() as s:
        unchained = s.execute(text("SELECT count(*) FROM audit_record WHERE action = 'test.loop_write' "
                                   "AND chain_seq IS NULL")).scalar()  # fmt: skip
        assert unchained == 0 and audit.verify(s).ok


def test_a_batch_the_loop_writer_cannot_decide_goes_to_the_writer_thread() -> None:
    """A record the fast path cannot take (here: every probe's check fails) is decided by the
    writer thread's `Kind.write`: a refusal answers its own request only."""
    import asyncio

    _pg_only()
    kind = _Probe()
    kind.gate.set()

    async def scenario() -> list[Any]:
        return list(await asyncio.gather(*(_request_on_loop(kind, n) for n in ("a", "refuse", "b"))))

    before = _count("test.probe_write")
    out = _on_a_loop(scenario)
    assert out[0] == out[2] == "ok" and isinstance(out[1], Conflict)
    assert kind.refusals == ["refuse"]
    assert _count("test.probe_write") - before == 2


def test_the_loop_writer_survives_a_lost_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer connection the server dropped (a restart, a terminated backend): the batch in
    hand is decided by the writer thread, so its request still answers with its rows committed,
    and the next batch is written on the loop again, on a new connection."""
    _pg_only()
    writes: list[str] = []
    real = group_commit._commit_at_once_async

    async def spy(conn: Any, jobs: list[Any]) -> bool:
        writes.append(conn.info.backend_pid)
        return await real(conn, jobs)

    async def scenario() -> list[Any]:
        out = [await _request_on_loop(audit.ROWS, _row("test.loop_lost", 0))]
        with transaction() as s:
            s.execute(text("SELECT pg_terminate_backend(:p)"), {"p": writes[0]})
        out.append(await _request_on_loop(audit.ROWS, _row("test.loop_lost", 1)))  # to the thread
        out.append(await _request_on_loop(audit.ROWS, _row("test.loop_lost", 2)))
        return out

    before = _count("test.loop_lost")
    monkeypatch.setattr(group_commit, "_commit_at_once_async", spy)
    out = _on_a_loop(scenario)
    assert out == ["ok"] * 3
    assert _count("test.loop_lost") - before == 3
    assert len(writes) == 3 and writes[0] == writes[1] != writes[2]


def test_a_record_handed_to_the_thread_is_dropped_when_its_request_gave_up() -> None:
    """A record the loop's fast path could not decide waits for the writer thread; if its
    request stops waiting first (it answered 503, "not answered"), the record is never written."""

    _pg_only()
    kind = _Probe()
    busy: dict[str, Any] = {}
    holder = threading.Thread(target=_request, args=(kind, "first", busy))
    holder.start()
    assert kind.entered.wait(5)  # the writer thread holds "first" at the gate

    async def scenario() -> Any:
        records = group_commit.open_scope()
        group_commit.submit(None, kind, "late")  # type: ignore[arg-type]  # fast path fails: to the thread
        with pytest.raises(TimeoutError):
            await records.durable(0.2)
        return records

    before = _count("test.probe_write")
    records = _on_a_loop(scenario)
    kind.gate.set()
    holder.join(10)
    assert busy == {"first": "ok"}
    assert _count("test.probe_write") - before == 1  # "first" only
    assert "late" not in kind.refusals and sum(kind.batches) == 1
    assert isinstance(records.jobs[0].done.exception(5), TimeoutError)


@pytest.mark.parametrize("committed", [True, False])
def test_a_batch_whose_commit_answer_was_lost_is_written_once(
    committed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection breaks after COMMIT was sent (or the task is cancelled): the writer
    thread asks the server whether that transaction committed. If it did, the requests answer
    at once and nothing is written twice; if not, their records are written now."""
    import psycopg

    _pg_only()
    real = group_commit._run_async
    runs = {"n": 0}

    async def lose_the_commit_answer(conn: Any, parts: list[Any]) -> None:
        runs["n"] += 1
        final = any(isinstance(p, list) and any(q.sql == "COMMIT" for q in p) for p in parts)
        if final and runs["n"] == 2:  # the first batch's second pipeline
            if committed:
                await real(conn, parts)
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        await real(conn, parts)

    action = f"test.lost_{committed}"

    async def scenario() -> list[Any]:
        return [await _request_on_loop(audit.ROWS, _row(action, i)) for i in range(2)]

    before = _count(action)
    monkeypatch.setattr(group_commit, "_run_async", lose_the_commit_answer)
    out = _on_a_loop(scenario)
    assert out == ["ok", "ok"]
    assert _count(action) - before == 2  # each row once
    from yiwang.core.audit_sealer import seal_all

    seal_all()
    with transaction() as s:
        assert audit.verify(s).ok
