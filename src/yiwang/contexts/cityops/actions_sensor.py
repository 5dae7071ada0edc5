"""Sensor readings (the waterlogging scenario): a reading over its threshold opens an urgent
event at the sensor's place, unless one of the same kind is already open there (a sensor
reports every few minutes; the duplicate rule keeps it to one event)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiwang.contexts.cityops import actions, scenarios
from yiwang.contexts.cityops.catalogue import WATERLOGGING
from yiwang.contexts.cityops.schemas import EventIn, EventOut, SensorReading
from yiwang.core import authz
from yiwang.core.actor import Actor


def sensor_reading(session: Session, actor: Actor, r: SensorReading) -> EventOut | None:
    authz.check(actor, "cityops.sensor_ingest", r)
    if not scenarios.over_threshold(r.kind, r.value):
        return None
    data = EventIn(
        category_code=WATERLOGGING, lon=r.lon, lat=r.lat, address=r.address or f"感知设备 {r.sensor_id}",
        description=f"积水监测设备 {r.sensor_id} 读数 {r.value:g} 厘米，超过 {scenarios.WATER_THRESHOLD_CM:g} 厘米警戒值",
        source="sensor", urgency="urgent", occurred_at=r.at, external_id=r.sensor_id,
    )  # fmt: skip
    out = actions.event_report(session, actor, data)
    return None if out.duplicates else out
