"""Pydantic shapes at the edge of city operations."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Source = Literal["grid_worker", "sensor", "citizen", "hotline", "open311"]
SOURCE_NAMES = {"grid_worker": "网格员上报", "sensor": "感知设备", "citizen": "市民上报", "hotline": "12345 热线",
                "open311": "市民应用"}  # fmt: skip
MAX_BATCH = 1000


class EventIn(BaseModel):
    category_code: str = Field(min_length=5, max_length=5, pattern=r"^\d{5}$", description="部件事件分类代码")
    lon: float = Field(ge=-180, le=180, description="经度（WGS-84）")
    lat: float = Field(ge=-90, le=90, description="纬度（WGS-84）")
    address: str = Field("", max_length=200)
    description: str = Field(min_length=2, max_length=2000)
    source: Source = "grid_worker"
    urgency: Literal["normal", "urgent"] = "normal"
    occurred_at: datetime | None = None
    plate: str | None = Field(None, min_length=7, max_length=8, pattern=r"^[\u4e00-\u9fa5][A-Z][A-Z0-9]{5,6}$",
                              description="车牌号（违停事件）")  # fmt: skip
    external_id: str | None = Field(None, max_length=64)


class BatchIn(BaseModel):
    events: list[EventIn] = Field(min_length=1, max_length=MAX_BATCH)


class Duplicate(BaseModel):
    event_id: int
    distance_m: float
    status_label: str


class EventOut(BaseModel):
    id: int
    category_code: str
    category_name: str
    lon: float
    lat: float
    address: str
    description: str
    source: str
    urgency: str
    grid_code: str
    grid_name: str
    street_code: str
    district_code: str
    department: str
    status: str
    status_label: str
    case_id: int | None
    revision: int
    due_at: datetime | None
    overdue: bool
    plate: str | None
    merged_into_id: int | None
    token: str
    created_at: datetime
    closed_at: datetime | None
    duplicates: list[Duplicate] = []
    photos: list[int] = []


class BatchOut(BaseModel):
    created: int
    ids: list[int]
    seconds: float


class TransitionIn(BaseModel):
    revision: int | None = Field(None, ge=0, le=2**31)
    comment: str | None = Field(None, max_length=2000)
    reason: str | None = Field(None, max_length=2000)
    department_id: int | None = Field(None, ge=1, le=2**63 - 1)
    merge_into: int | None = Field(None, ge=1, le=2**63 - 1)
    photo_ids: list[int] = Field(default_factory=list, max_length=9)


class SensorReading(BaseModel):
    sensor_id: str = Field(min_length=1, max_length=40)
    kind: Literal["water_level"]
    value: float = Field(ge=-1000, le=100000, description="读数（积水深度，厘米）")
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    address: str = Field("", max_length=200)
    at: datetime | None = None
