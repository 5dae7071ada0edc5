"""Tables of city operations: the city-management catalogue, city events and their photos,
dispatch rules, Open311 keys, and the scenario feeds (car parks, vehicles, intersections)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yiwang.core.db import Base, UTCDateTime, utcnow


class CityCategory(Base):
    """One class of the catalogue (CJ/T 214 structure): 部件 or 事件, major class, minor class."""

    __tablename__ = "city_category"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)  # branch(1) major(2) minor(2)
    branch: Mapped[str] = mapped_column(String(10))  # component | incident
    major_code: Mapped[str] = mapped_column(String(2))
    major_name: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(40))
    department_kind: Mapped[str] = mapped_column(String(30))  # who acts unless a rule says otherwise
    sla_hours: Mapped[float] = mapped_column(Float)  # working hours to handle (normal)
    urgent_sla_hours: Mapped[float] = mapped_column(Float)
    keywords: Mapped[str] = mapped_column(String(200), default="")


class CityEvent(Base):
    """城市事件: a problem at a point, found by a grid worker, a sensor, a citizen or the hotline."""

    __tablename__ = "city_event"
    __table_args__ = (Index("ix_city_event_category_open", "category_code", "closed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("city_category.code"))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(12))  # grid_worker | sensor | citizen | hotline | open311
    urgency: Mapped[str] = mapped_column(String(10), default="normal")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    grid_code: Mapped[str] = mapped_column(String(16), index=True)
    street_code: Mapped[str] = mapped_column(String(12), index=True)
    district_code: Mapped[str] = mapped_column(String(12), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), index=True)  # the case's state, for lists
    plate: Mapped[str | None] = mapped_column(String(10))
    reporter_user_id: Mapped[int | None] = mapped_column(Integer)
    reporter_label: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str | None] = mapped_column(String(64))
    token: Mapped[str] = mapped_column(String(36), unique=True)  # Open311 token
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("city_event.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_notes: Mapped[str | None] = mapped_column(Text)


class CityEventPhoto(Base):
    __tablename__ = "city_event_photo"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("city_event.id"), index=True)
    stage: Mapped[str] = mapped_column(String(10))  # report | handle | verify
    content_type: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DispatchRule(Base):
    """派遣规则: category (or its major class, or any) x grid (or street, district, any) -> department."""

    __tablename__ = "city_dispatch_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category_prefix: Mapped[str] = mapped_column(String(8), default="")  # "" any, "205" a major class
    area_prefix: Mapped[str] = mapped_column(String(16), default="")  # "" any, a district/street/grid code
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    note: Mapped[str] = mapped_column(String(100), default="")


class Open311Key(Base):
    """An Open311 application's api_key (kept as its SHA-256)."""

    __tablename__ = "city_open311_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CarPark(Base):
    """A car park of the seeded occupancy feed."""

    __tablename__ = "city_car_park"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    address: Mapped[str] = mapped_column(String(120))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    capacity: Mapped[int] = mapped_column(Integer)
    free_spaces: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Vehicle(Base):
    """A registered vehicle: plate -> owner account (whom a parking notice goes to)."""

    __tablename__ = "city_vehicle"

    plate: Mapped[str] = mapped_column(String(10), primary_key=True)
    owner_user_id: Mapped[int] = mapped_column(Integer)


class Intersection(Base):
    """A signalised intersection with its seeded flow feed (veh/h per phase's critical lane)."""

    __tablename__ = "city_intersection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    phases: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{name, flow, saturation, green}]
    cycle_s: Mapped[float] = mapped_column(Float)
    lost_time_s: Mapped[float] = mapped_column(Float)
