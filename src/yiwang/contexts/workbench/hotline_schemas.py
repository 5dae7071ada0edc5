"""Pydantic in/out of the 12345 hotline's API and pages."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

Urgency = Literal["critical", "urgent", "normal", "low"]
Channel = Literal["phone", "web", "app"]
Revision = Field(None, ge=0, le=1_000_000)


class ClassifyIn(BaseModel):
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field("", max_length=5000)
    region_code: str | None = Field(None, pattern=r"^\d{6}$")


class CategoryScore(BaseModel):
    name: str = Field(description="一级分类")
    confidence: float = Field(ge=0, le=1)


class ClassifyOut(BaseModel):
    categories: list[CategoryScore]
    department: str | None = Field(description="按分类和区划路由的承办部门")
    department_id: int | None = None
    department_code: str | None = None


class IntakeIn(BaseModel):
    channel: Channel = "phone"
    anonymous: bool = False
    caller_name: str | None = Field(None, max_length=50)
    contact: str | None = Field(None, max_length=40, pattern=r"^[0-9+\-() ]{5,40}$")
    location: str = Field("", max_length=200)
    region_code: str = Field(pattern=r"^\d{6}$")
    subject: str = Field(min_length=2, max_length=200)
    body: str = Field(min_length=2, max_length=5000)
    received_at: datetime | None = None
    urgency: Urgency = "normal"
    level1: str = Field(min_length=1, max_length=30)
    level2: str = Field(min_length=1, max_length=30)
    level3: str = Field(min_length=1, max_length=30)
    suggested_category: str | None = Field(None, max_length=30)
    suggested_confidence: float | None = Field(None, ge=0, le=1)
    department_id: int | None = Field(None, ge=1, le=2**31 - 1)
    dispatch: bool = Field(False, description="受理后立即派单给承办部门")


class DispatchIn(BaseModel):
    department_id: int | None = Field(None, ge=1, le=2**31 - 1)
    comment: str | None = Field(None, max_length=2000)
    revision: int | None = Revision


class ReasonIn(BaseModel):
    reason: str = Field(min_length=2, max_length=2000)
    revision: int | None = Revision


class ReplyIn(BaseModel):
    reply: str = Field(min_length=2, max_length=5000)
    revision: int | None = Revision


class StepIn(BaseModel):
    comment: str | None = Field(None, max_length=2000)
    revision: int | None = Revision


class OrderOut(BaseModel):
    id: int
    channel: str
    anonymous: bool
    caller_name: str | None
    contact: str | None
    location: str
    region_code: str
    subject: str
    body: str
    received_at: datetime
    urgency: str
    suggested_category: str | None
    suggested_confidence: float | None
    category: list[str]
    department_id: int | None
    department: str
    status: str
    state_label: str
    city_problem: bool
    merged_into_id: int | None
    merged: int = 0
    reply: str | None
    replied_at: datetime | None
    satisfaction: str | None
    reopened: int
    case_id: int | None
    revision: int
    due_at: datetime | None
    overdue: bool
    supervised: bool


class Duplicate(BaseModel):
    id: int
    subject: str
    location: str
    received_at: datetime
    state_label: str
    score: float


class PastCase(BaseModel):
    id: int
    subject: str
    body: str
    reply: str
    replied_at: datetime | None
    score: float


class SuggestionsOut(BaseModel):
    categories: list[CategoryScore]
    department: str | None
    department_id: int | None
    duplicates: list[Duplicate]
    similar: list[PastCase]


class HotTopic(BaseModel):
    rank: int
    region_code: str
    region: str
    words: list[str]
    label: str
    count: int
    latest_at: datetime
    order_ids: list[int]
    sample: str
