"""The outbox's NATS JetStream side, against real nats-server processes: a consumer reading the
stream from its start gets every event exactly once, as a CloudEvent, across a relay killed
between ack and mark (and before publishing), across a NATS restart with events committed while
it was down, and when an event whose mark was lost is published again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.core.nats_relay_crash import PARCEL, emit_parcels
from tests.core.nats_server import NatsServer, read_stream, serve
from yiwang.core import events_nats, metrics
from yiwang.core import events_repository as repo
from yiwang.core.db import transaction
from yiwang.core.events import OutboxEvent
from yiwang.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[2]
STREAM = "YIWANG"


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    yield from serve(tmp_path / "jetstream")


@pytest.fixture
def relay_env(monkeypatch: pytest.MonkeyPatch, nats_server: NatsServer) -> Iterator[dict[str, str]]:
    """Settings of a relay on the test's server (short waits), for this process and its children."""
    env = {"YIWANG_NATS_URL": nats_server.url, "YIWANG_NATS_RECONNECT_WAIT": "0.1",
           "YIWANG_NATS_POLL_INTERVAL": "0.1"}  # fmt: skip
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    with transaction() as s:  # what an earlier test left unpublished is no part of this one
        s.execute(text("UPDATE event_outbox SET nats_pending = false WHERE nats_pending"))
    yield env
    events_nats.stop()
    monkeypatch.undo()
    get_settings.cache_clear()


def _short_claims(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """A dead relay's claim runs out after 1.5 s (3 ack timeouts of 0.5 s), not 15."""
    env["YIWANG_NATS_ACK_TIMEOUT"] = "0.5"
    monkeypatch.setenv("YIWANG_NATS_ACK_TIMEOUT", "0.5")
    get_settings.cache_clear()


def _until(what: str, done: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"still waiting for: {what}"
        time.sleep(0.05)


def _rows(ids: list[str]) -> list[OutboxEvent]:
    with transaction() as s:
        rows = s.query(OutboxEvent).filter(OutboxEvent.event_id.in_(ids)).order_by(OutboxEvent.id).all()
    assert len(rows) == len(ids)
    return rows


def _published(ids: list[str]) -> Callable[[], bool]:
    return lambda: not any(r.nats_pending for r in _rows(ids))


def _stream_ids(server: NatsServer) -> list[str]:
    return [m.headers["Nats-Msg-Id"] for m in read_stream(server.url, STREAM)]


def test_each_event_is_published_once_as_a_cloudevent_and_marked_after_the_ack(
    relay_env, nats_server
) -> None:
    before = metrics.EVENTS_PUBLISHED._value.get()
    events_nats.start()  # as a serving process does: woken by the commits
    ids = emit_parcels(1, 3)
    _until("the relay publishes the events", _published(ids))
    rows = _rows(ids)
    assert all(r.published_at is not None and r.publish_attempts == 0 for r in rows)

    messages = read_stream(nats_server.url, STREAM)
    assert [m.headers["Nats-Msg-Id"] for m in messages] == ids  # once each, in outbox order
    for msg, row in zip(messages, rows, strict=True):
        assert msg.subject == PARCEL and msg.headers["Content-Type"] == "application/cloudevents+json"
        ce = json.loads(msg.data)
        assert ce["specversion"] == "1.0" and ce["id"] == row.event_id and ce["type"] == PARCEL
        assert ce["source"] == "/yiwang/test" and ce["sequence"] == str(row.id)
        assert ce["data"] == row.data and ce["subject"] == row.subject
    assert metrics.EVENTS_PUBLISHED._value.get() - before == 3


def test_a_relay_killed_after_the_acks_and_before_its_mark_loses_and_repeats_nothing(
    relay_env, nats_server, monkeypatch
) -> None:
    # A process commits 30 events and relays them 10 a batch; it is SIGKILLed once its second
    # acked batch is in, before that batch is marked: 10 published and marked, 10 published and
    # still pending, 10 never published (had an ack come later than the 0.5 s the relay waits,
    # its batch would be pending and in the stream too: the checks below hold either way).
    _short_claims(monkeypatch, relay_env)
    env = {**os.environ, **relay_env, "YIWANG_NATS_BATCH": "10"}
    proc = subprocess.run([sys.executable, "-m", "tests.core.nats_relay_crash", "30"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    ids = json.loads(proc.stdout.splitlines()[0])
    marked = {r.event_id for r in _rows(ids) if not r.nats_pending}
    stored = set(_stream_ids(nats_server))
    acked_unmarked = stored - marked
    assert 0 < len(marked) <= 10 and marked <= stored and len(acked_unmarked) >= 10
    assert len(stored) < len(ids)  # some were never published

    # Another relay takes over once the dead one's claim has run out: what was acked but not
    # marked is published again and JetStream drops it by its Nats-Msg-Id; the rest is stored.
    duplicates = metrics.EVENTS_PUBLISH_DUPLICATES._value.get()
    relay = events_nats.Relay()
    relay.start()
    try:
        _until("the second relay publishes the rest", _published(ids))
    finally:
        relay.stop()
    assert metrics.EVENTS_PUBLISH_DUPLICATES._value.get() - duplicates == len(acked_unmarked)
    assert sorted(_stream_ids(nats_server)) == sorted(ids)  # every event once


def test_events_committed_while_nats_is_down_wait_and_are_published_once_after_its_restart(
    relay_env, nats_server
) -> None:
    events_nats.start()
    before = emit_parcels(100, 5)
    _until("the first events are published", _published(before))

    nats_server.stop()
    during = emit_parcels(200, 5)

    def retried() -> bool:
        return all(r.publish_attempts > 0 for r in _rows(during))

    _until("the relay has tried and failed to publish them", retried)
    rows = _rows(during)
    assert all(r.nats_pending and r.published_at is None for r in rows)
    assert all("NATS unavailable" in (r.publish_error or "") for r in rows)

    nats_server.start()  # same port, same store: the stream and its messages are still there
    _until("the relay publishes the backlog after the restart", _published(during))
    assert _stream_ids(nats_server) == before + during  # none lost, none twice
    assert all(r.publish_error is None for r in _rows(during))


def test_a_republish_after_an_ack_whose_mark_was_lost_is_dropped_by_its_msg_id(
    relay_env, nats_server, monkeypatch
) -> None:
    mark = repo.mark_published
    lost = {"n": 0}

    def lose_first_mark(session: Any, seqs: Any, at: Any) -> None:
        if seqs and not lost["n"]:
            lost["n"] += 1
            raise ConnectionError("the database went away after the acks")
        mark(session, seqs, at)

    _short_claims(monkeypatch, relay_env)
    monkeypatch.setattr(repo, "mark_published", lose_first_mark)
    duplicates = metrics.EVENTS_PUBLISH_DUPLICATES._value.get()
    events_nats.start()
    ids = emit_parcels(300, 4)
    _until("the events are published again once their claim ran out", _published(ids))
    assert lost["n"] == 1
    assert metrics.EVENTS_PUBLISH_DUPLICATES._value.get() - duplicates >= 1
    assert _stream_ids(nats_server) == ids


def test_relays_running_at_once_split_the_work(relay_env, nats_server, monkeypatch) -> None:
    monkeypatch.setenv("YIWANG_NATS_BATCH", "7")
    get_settings.cache_clear()
    ids = emit_parcels(400, 60)
    relays = [events_nats.Relay() for _ in range(3)]
    for relay in relays:
        relay.start()
    try:
        _until("the relays publish everything", _published(ids))
    finally:
        for relay in relays:
            relay.stop()
    assert sum(r.published for r in relays) == 60  # no event claimed by two of them
    assert sorted(_stream_ids(nats_server)) == sorted(ids)


def test_yiwang_events_relay_publishes_other_processes_events_until_sigterm(relay_env, nats_server) -> None:
    yiwang = Path(sys.executable).with_name("yiwang")
    proc = subprocess.Popen([str(yiwang), "events", "relay"], env={**os.environ, **relay_env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        ids = emit_parcels(500, 3)  # no relay in this process: the CLI's finds them by polling
        _until("the CLI relay publishes the events", _published(ids))
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-2000:]
    assert "published 3 events" in out
    assert _stream_ids(nats_server) == ids


def test_a_duplicate_window_shorter_than_a_claim_is_refused() -> None:
    with pytest.raises(ValueError, match="DUPLICATE_WINDOW"):
        Settings(nats_duplicate_window=10, nats_ack_timeout=5)
