"""Pydantic shapes of the exchange."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RequestIn(Strict):
    resource_code: str = Field(min_length=1, max_length=40, json_schema_extra={"pattern": r"\S"})
    fields: list[str] = Field(min_length=1, max_length=100)
    purpose: str = Field(min_length=4, max_length=500)
    legal_basis: str = Field(min_length=4, max_length=500)
    row_scope: str | None = Field(None, pattern=r"^\d{6}(\d{3}){0,2}$")
    valid_from: date | None = None
    valid_to: date
    daily_quota: int = Field(1000, ge=1, le=10_000_000)

    @model_validator(mode="after")
    def _period(self) -> RequestIn:
        if self.valid_from and self.valid_to < self.valid_from:
            raise ValueError("有效期结束日期不能早于开始日期")
        if len(set(self.fields)) != len(self.fields):
            raise ValueError("信息项重复")
        return self


Revision = Field(None, ge=0, le=1_000_000, description="表单显示时申请的流转次数；申请已被他人处理时返回 409")


class ApproveIn(Strict):
    masked_fields: list[str] = Field(default_factory=list, max_length=100)
    note: str = Field("", max_length=500)
    revision: int | None = Revision


class RefuseIn(Strict):
    reason: str = Field(min_length=4, max_length=500)
    revision: int | None = Revision


class ReasonIn(Strict):
    """要求补正或撤回：说明理由。"""

    reason: str = Field(min_length=4, max_length=500)
    revision: int | None = Revision


class SupplementIn(Strict):
    """提交补正：说明补正了什么，可同时更正用途与法律依据。"""

    comment: str = Field(min_length=2, max_length=500)
    purpose: str | None = Field(None, min_length=4, max_length=500)
    legal_basis: str | None = Field(None, min_length=4, max_length=500)
    revision: int | None = Revision


class RevokeIn(Strict):
    reason: str = Field(min_length=4, max_length=500)


class RequestOut(BaseModel):
    id: int
    resource_code: str
    resource_name: str
    consumer: str
    provider: str
    fields: list[str]
    purpose: str
    legal_basis: str
    row_scope: str
    valid_from: date
    valid_to: date
    daily_quota: int
    status: str = Field(
        description="pending 待审批 | supplement 待补正 | approved 已同意 | refused 已拒绝 | withdrawn 已撤回"
    )
    state_label: str = Field(description="当前环节")
    case_id: int | None = Field(description="流程案件编号")
    revision: int = Field(description="已完成的流转次数（提交审批表单时带上，过期的表单返回 409）")
    due_at: datetime | None
    due_provisional: bool
    paused: bool = Field(description="补正期间审批计时暂停")
    overdue: bool
    escalated_at: datetime | None
    supervised: bool = Field(description="是否在督办中")
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    grant_id: int | None
    created_at: datetime


class GrantOut(BaseModel):
    id: int
    resource_code: str
    consumer_department_id: int
    fields: list[str]
    masked_fields: list[str]
    purpose: str
    row_scope: str
    valid_from: date
    valid_to: date
    daily_quota: int
    used_today: int
    revoked_at: datetime | None


class BatchIn(Strict):
    keys: list[str] = Field(min_length=1)
    fields: list[str] | None = Field(None, max_length=100)


class VerifyIn(Strict):
    key: str = Field(min_length=1, max_length=40)
    values: dict[str, str] = Field(min_length=1, max_length=50)


class VerifyOut(BaseModel):
    match: bool


class RecordsOut(BaseModel):
    resource: str
    fields: list[str]
    masked: list[str]
    records: list[dict[str, Any]]
    next_cursor: str | None = None


class BatchOut(RecordsOut):
    not_found: list[str]
