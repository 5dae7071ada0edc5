"""Sensor readings arriving as messages on a NATS subject (default `cityops.sensors.readings`):
each message is one `SensorReading` as JSON; a reading over its threshold opens an urgent event
(`actions_sensor`), in a transaction of its own. A malformed message is logged and counted,
answered with an error when it has a reply subject, and never stops the feed. Run it with
`yiwang cityops sensor-feed` (or `start()` in a process of one's own)."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import nats
from pydantic import ValidationError

from yiwang.contexts.cityops import actions_sensor
from yiwang.contexts.cityops.schemas import SensorReading
from yiwang.core.actor import Actor
from yiwang.core.db import transaction
from yiwang.core.errors import DomainError

log = logging.getLogger(__name__)
SUBJECT = "cityops.sensors.readings"
FEED = Actor(kind="system", name="感知设备接入", roles=frozenset({"system"}))
MAX_MESSAGE = 16 * 1024


@dataclass
class Counts:
    received: int = 0
    events: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)


def handle(payload: bytes) -> tuple[int | None, str | None]:
    """(event id or None, error or None) for one message."""
    if len(payload) > MAX_MESSAGE:
        return None, "消息过大"
    try:
        reading = SensorReading.model_validate(json.loads(payload))
    except (ValueError, ValidationError) as exc:
        return None, f"读数格式不正确：{str(exc)[:200]}"
    try:
        with transaction() as s:
            out = actions_sensor.sensor_reading(s, FEED, reading)
            return (out.id if out else None), None
    except DomainError as exc:
        return None, "：".join(
            [exc.detail, *("、".join(e.detail for e in exc.errors),)][: 2 if exc.errors else 1]
        )


class SensorFeed:
    def __init__(self, url: str, subject: str = SUBJECT) -> None:
        self.url, self.subject = url, subject
        self.counts = Counts()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    async def run(self) -> None:
        nc = await nats.connect(self.url, max_reconnect_attempts=-1, reconnect_time_wait=0.5)
        try:

            async def on_message(msg: Any) -> None:
                self.counts.received += 1
                event_id, error = await asyncio.to_thread(handle, msg.data)
                if error:
                    self.counts.rejected += 1
                    self.counts.errors.append(error)
                    log.warning("sensor reading refused: %s", error)
                elif event_id:
                    self.counts.events += 1
                if msg.reply:
                    await msg.respond(
                        json.dumps({"event_id": event_id, "error": error}, ensure_ascii=False).encode()
                    )

            await nc.subscribe(self.subject, queue="cityops-sensors", cb=on_message)
            await nc.flush()
            self._ready.set()
            while not self._stop.is_set():
                await asyncio.sleep(0.1)
        finally:
            await nc.drain()

    def start(self, timeout: float = 10) -> SensorFeed:
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self.run()), name="cityops-sensor-feed", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError(f"sensor feed could not subscribe to {self.subject} on {self.url}")
        return self

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
