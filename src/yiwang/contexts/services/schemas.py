"""Pydantic shapes at the edge of the services API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class MaterialOut(BaseModel):
    name: str
    source: str
    source_label: str
    waived: bool
    note: str = ""


class ItemOut(BaseModel):
    code: str
    name: str
    power_type: str
    department: str
    region_code: str
    legal_days: int
    promised_days: int
    fee_fen: int
    channels: list[str]
    visits_required: int
    any_window: bool
    cross_province: bool
    legal_basis: str
    conditions: str
    materials: list[MaterialOut]
    form_schema: dict[str, Any]
    workflow: str


class ApplicationIn(BaseModel):
    item_code: str = Field(max_length=20)
    form: dict[str, str | int | None] = Field(default_factory=dict, max_length=60)
    files: dict[str, int] = Field(default_factory=dict, max_length=30)
    channel: str = Field("online", pattern="^(online|window)$")


class StepIn(BaseModel):
    revision: int | None = Field(None, ge=0, le=2**31)
    comment: str | None = Field(None, max_length=2000)
    reason: str | None = Field(None, max_length=2000)


class ApplicationOut(BaseModel):
    id: int
    number: str
    item_code: str
    item_name: str
    status: str
    status_label: str
    channel: str
    applicant_name: str
    materials: list[dict[str, Any]]
    due_at: datetime | None
    paused: bool
    revision: int
    created_at: datetime


class FileOut(BaseModel):
    id: int
    material: str
    content_type: str
    size: int
