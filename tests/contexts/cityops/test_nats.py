"""City events reach NATS subscribers (the outbox relay to JetStream), and sensor readings
arriving on a NATS subject open urgent events; a real nats-server, started by the test."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nats
import pytest
from sqlalchemy import text

from tests.contexts.cityops.helpers import point_in
from tests.core.nats_server import NatsServer, read_stream, run_async, serve
from yiwang.contexts.cityops import actions
from yiwang.contexts.cityops.schemas import EventIn
from yiwang.contexts.cityops.sensor_feed import SUBJECT, SensorFeed
from yiwang.core import events_nats
from yiwang.core.actor import Actor
from yiwang.core.db import transaction
from yiwang.settings import get_settings

GRID_WORKER = Actor(
    kind="user", id=None, name="测试网格员", roles=frozenset({"grid_worker"}), region_code="330106002"
)


@pytest.fixture
def nats_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NatsServer]:
    for server in serve(tmp_path / "jetstream"):
        monkeypatch.setenv("YIWANG_NATS_URL", server.url)
        monkeypatch.setenv("YIWANG_NATS_POLL_INTERVAL", "0.1")
        get_settings.cache_clear()
        with transaction() as s:  # what earlier tests left unpublished is no part of this one
            s.execute(text("UPDATE event_outbox SET nats_pending = false WHERE nats_pending"))
        try:
            yield server
        finally:
            events_nats.stop()
            monkeypatch.undo()
            get_settings.cache_clear()


def _until(what: str, fn: Any, seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_city_event_reaches_a_jetstream_subscriber_as_cloudevents(nats_server: NatsServer) -> None:
    events_nats.start()
    lon, lat = point_in("330106002G02")
    with transaction() as s:
        e = actions.event_report(s, GRID_WORKER, EventIn(category_code="10103", lon=lon, lat=lat,
                                                          description="雨水井盖缺失"))  # fmt: skip

    def mine() -> list[dict[str, Any]]:
        msgs = read_stream(nats_server.url, get_settings().nats_stream)
        return [json.loads(m.data) for m in msgs if json.loads(m.data)["subject"] == f"event/{e.id}"]

    got = _until("the event's messages", lambda: len(mine()) >= 3 and mine())
    assert [m["type"] for m in got] == ["yiwang.cityops.event.created", "yiwang.cityops.event.registered",
                                        "yiwang.cityops.event.dispatched"]  # fmt: skip
    assert got[-1]["specversion"] == "1.0" and got[-1]["data"]["state"] == "dispatched"


def test_sensor_readings_on_a_nats_subject_open_urgent_events_and_bad_ones_are_refused(
    nats_server: NatsServer,
) -> None:
    feed = SensorFeed(nats_server.url).start()
    lon, lat = point_in("330108001G01")
    try:

        async def publish() -> list[dict[str, Any]]:
            nc = await nats.connect(nats_server.url)
            try:
                out = []
                for body in (
                    {"sensor_id": "WL-NATS-1", "kind": "water_level", "value": 31.0, "lon": lon, "lat": lat},
                    {"sensor_id": "WL-NATS-2", "kind": "water_level", "value": 3.0, "lon": lon, "lat": lat},
                    {"sensor_id": "WL-NATS-3", "kind": "water_level", "value": 40.0, "lon": 0.0, "lat": 0.0},
                ):
                    reply = await nc.request(SUBJECT, json.dumps(body).encode(), timeout=10)
                    out.append(json.loads(reply.data))
                out.append(json.loads((await nc.request(SUBJECT, b"{not json", timeout=10)).data))
                return out
            finally:
                await nc.close()

        answers = run_async(publish)
    finally:
        feed.stop()
    assert answers[0]["event_id"] and answers[0]["error"] is None
    assert answers[1] == {"event_id": None, "error": None}  # under the threshold
    assert answers[2]["event_id"] is None and "网格" in answers[2]["error"]
    assert answers[3]["event_id"] is None and "格式" in answers[3]["error"]
    with transaction() as s:
        row = s.execute(text("SELECT urgency, category_code, source FROM city_event WHERE id = :i"),
                        {"i": answers[0]["event_id"]}).one()  # fmt: skip
    assert tuple(row) == ("urgent", "20405", "sensor")
    assert feed.counts.received == 4 and feed.counts.events == 1 and feed.counts.rejected == 2
