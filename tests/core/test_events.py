"""The outbox: an event exists exactly when its change commits, every subscriber gets it once
(a replay or a sweep has no second effect), a failing subscriber is retried alone, and what a
crash between commit and dispatch left behind is delivered by the sweep."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy import text

from yiwang.core import events, events_dispatch
from yiwang.core.db import transaction, utcnow

THING = "yiwang.test.thing.happened"


class ThingData(BaseModel):
    thing_id: int
    note: str = ""


events.define(THING, "测试事件", ThingData)


@pytest.fixture
def received() -> Iterator[list[tuple[str, int]]]:
    got: list[tuple[str, int]] = []

    def first(_s: Any, e: events.Event) -> None:
        got.append(("first", e.data["thing_id"]))

    def second(_s: Any, e: events.Event) -> None:
        got.append(("second", e.data["thing_id"]))

    events.subscribe("test.first", "yiwang.test.thing.*", first)
    events.subscribe("test.second", THING, second)
    yield got
    events.unsubscribe("test.first")
    events.unsubscribe("test.second")


def _emit(thing_id: int, note: str = "") -> int:
    with transaction() as s:
        return events.emit(s, THING, f"thing/{thing_id}", {"thing_id": thing_id, "note": note}).seq


def _row(seq: int) -> dict[str, Any]:
    with transaction() as s:
        row = s.get(events.OutboxEvent, seq)
        assert row is not None
        return {c.key: getattr(row, c.key) for c in events.OutboxEvent.__table__.columns}


def test_a_committed_event_reaches_every_subscriber_once_as_a_cloudevent(received) -> None:
    seq = _emit(1, "你好")
    assert sorted(received) == [("first", 1), ("second", 1)]
    row = _row(seq)
    assert not row["dispatch_pending"] and row["dispatch_attempts"] == 0
    with transaction() as s:
        (stored,) = events_dispatch.repo.by_ids(s, [seq])
        ce = events.Event.of(stored).cloudevent()
    assert ce["specversion"] == "1.0" and ce["type"] == THING and ce["source"] == "/yiwang/test"
    assert ce["subject"] == "thing/1" and ce["time"].endswith("Z") and ce["sequence"] == str(seq)
    assert ce["data"] == {"thing_id": 1, "note": "你好"} and len(ce["id"]) == 36

    # delivering it again (an operator's replay, a sweep) has no second effect
    report = events_dispatch.replay(utcnow() - timedelta(minutes=1))
    assert report.requeued >= 1 and sorted(received) == [("first", 1), ("second", 1)]
    assert not _row(seq)["dispatch_pending"]


def test_a_rolled_back_change_has_no_event(received) -> None:
    with pytest.raises(RuntimeError), transaction() as s:
        seq = events.emit(s, THING, "thing/2", {"thing_id": 2}).seq
        raise RuntimeError("the change fails")
    assert received == []
    with transaction() as s:
        assert s.execute(text("SELECT count(*) FROM event_outbox WHERE id = :i"), {"i": seq}).scalar() == 0


def test_undeclared_types_and_bad_data_are_refused() -> None:
    with transaction() as s:
        with pytest.raises(RuntimeError, match="undeclared"):
            events.emit(s, "yiwang.test.thing.vanished", "thing/3", {"thing_id": 3})
        with pytest.raises(ValidationError):
            events.emit(s, THING, "thing/3", {"thing_id": "three"})
    with pytest.raises(ValueError):
        events.define("exchange.request.approved", "缺少前缀", ThingData)


def test_a_failing_subscriber_is_retried_alone_with_backoff(received, monkeypatch) -> None:
    down = {"rounds": 2}  # the mail server answers from the third dispatch on

    def flaky(_s: Any, e: events.Event) -> None:
        if down["rounds"] > 0:
            raise ConnectionError("邮件服务器无响应")
        received.append(("flaky", e.data["thing_id"]))

    def next_round() -> None:
        down["rounds"] -= 1

    events.subscribe("test.flaky", THING, flaky)
    try:
        seq = _emit(4)
        assert sorted(received) == [("first", 4), ("second", 4)]  # the others went on
        row = _row(seq)
        assert (
            row["dispatch_pending"]
            and row["dispatch_attempts"] == 1
            and "ConnectionError" in row["dispatch_error"]
        )
        first_retry = row["dispatch_after"]
        assert first_retry > utcnow()
        next_round()
        assert (
            events_dispatch.sweep(now=utcnow() + timedelta(seconds=0.5), grace=timedelta(0)) == 0
        )  # not due yet
        events_dispatch.sweep(now=first_retry + timedelta(seconds=1), grace=timedelta(0))
        row = _row(seq)
        assert row["dispatch_attempts"] == 2 and row["dispatch_after"] - first_retry > timedelta(0)
        next_round()
        events_dispatch.sweep(now=row["dispatch_after"] + timedelta(seconds=1), grace=timedelta(0))
        assert sorted(received) == [("first", 4), ("flaky", 4), ("second", 4)]
        assert not _row(seq)["dispatch_pending"]
    finally:
        events.unsubscribe("test.flaky")


def test_the_sweep_delivers_what_a_crash_after_commit_left_behind(received, monkeypatch) -> None:
    monkeypatch.setattr(events_dispatch, "committed", lambda seqs: None)  # the process dies after COMMIT
    seq = _emit(5)
    assert received == [] and _row(seq)["dispatch_pending"]
    monkeypatch.undo()
    assert events_dispatch.sweep() == 0  # younger than the grace: the live dispatcher's
    events_dispatch.sweep(now=utcnow() + timedelta(seconds=10))
    assert sorted(received) == [("first", 5), ("second", 5)]


def test_events_a_handler_emits_are_dispatched_too(received) -> None:
    def chain(s: Any, e: events.Event) -> None:
        if e.data["thing_id"] == 6:
            events.emit(s, THING, "thing/7", {"thing_id": 7})

    events.subscribe("test.chain", THING, chain)
    try:
        _emit(6)
    finally:
        events.unsubscribe("test.chain")
    assert sorted(received) == [("first", 6), ("first", 7), ("second", 6), ("second", 7)]


def test_concurrent_dispatchers_handle_each_event_once(received, monkeypatch) -> None:
    monkeypatch.setattr(events_dispatch, "committed", lambda seqs: None)
    seqs = [_emit(100 + i) for i in range(20)]
    monkeypatch.undo()
    barrier = threading.Barrier(4)

    def run() -> None:
        barrier.wait()
        events_dispatch.dispatch(seqs)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(received) == sorted([(w, 100 + i) for i in range(20) for w in ("first", "second")])


def test_docs_list_every_event_type_and_its_schema() -> None:
    import subprocess
    import sys
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "events.md"
    cli = Path(sys.executable).parent / "yiwang"  # a process of its own: only the product's types
    made = subprocess.run([str(cli), "events", "types"], capture_output=True, text=True, check=True).stdout
    assert doc.read_text() == made, "docs/events.md is stale: run `yiwang events types > docs/events.md`"


def test_private_fields_stay_in_the_process_and_the_rest_leaves_it() -> None:
    data = {"case_id": 1, "comment": "理由里有张三的电话", "assignee": {"user_id": 9, "department_id": 4},
            "parties": {"requester": {"user_id": 9, "name": "张三", "department_id": None},
                        "provider": {"user_id": None, "name": "杭州市民政局", "department_id": 4}}}  # fmt: skip
    out = events.withheld(data, ("comment", "assignee.user_id", "parties.*.name", "parties.*.user_id"))
    assert out == {"case_id": 1, "assignee": {"department_id": 4},
                   "parties": {"requester": {"department_id": None}, "provider": {"department_id": 4}}}  # fmt: skip
    assert data["comment"] and data["parties"]["requester"]["name"] == "张三"  # the original is untouched
