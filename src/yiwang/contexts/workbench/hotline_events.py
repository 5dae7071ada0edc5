"""The hotline's own event: an order about a city problem, for city operations (一网统管) to
take up as a city event. The lifecycle's events are the workflow engine's
(`yiwang.workbench.order.*`, the case's snapshot)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from yiwang.core import events


class CityProblemReported(BaseModel):
    """A citizen's call or message to 12345 about a problem of the city."""

    order_id: int = Field(description="热线工单编号")
    case_id: int | None = Field(None, description="工单的案件编号")
    subject: str = Field(description="诉求标题")
    body: str = Field(description="诉求内容")
    location: str = Field(description="发生地点")
    region_code: str = Field(description="所属行政区划代码")
    category: list[str] = Field(description="三级分类（一级、二级、三级）")
    urgency: str = Field(description="紧急程度代码")
    department_id: int | None = Field(None, description="承办部门编号")
    received_at: datetime = Field(description="受理时间（UTC）")
    url: str = Field(description="工单页面")


CITY_PROBLEM_REPORTED = events.define(
    "yiwang.workbench.order.city_problem_reported",
    "12345热线工单反映了城市问题（城市运行可据此生成城市事件）",
    CityProblemReported,
    ("body",),  # the citizen's own words: not for every NATS consumer
)
