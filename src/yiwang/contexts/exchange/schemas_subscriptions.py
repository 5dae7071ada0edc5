"""Pydantic shapes of subscriptions, the change feed, webhook deliveries and source upserts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SubscriptionIn(_Strict):
    resource_code: str = Field(min_length=1, max_length=40, json_schema_extra={"pattern": r"\S"})
    callback_url: str = Field(min_length=8, max_length=500)


class ReplayIn(_Strict):
    after_seq: int = Field(0, ge=0)


class SubscriptionOut(BaseModel):
    id: int
    resource_code: str
    grant_id: int
    callback_url: str
    active: bool
    created_by: str
    created_at: datetime


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="签名密钥，仅此一次返回，请妥善保存")


class DeliveryOut(BaseModel):
    id: int
    change_seq: int
    attempt_set: int
    status: str  # pending | sending | delivered | dead | dropped
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_at: datetime | None


class ReplayOut(BaseModel):
    subscription_id: int
    attempt_set: int
    enqueued: int
    last_seq: int | None = Field(description="最后一个重新排队的变更序号；达到单次上限时从这里继续")


class ChangeOut(BaseModel):
    seq: int
    op: str
    at: datetime
    record: dict[str, Any] | None


class ChangesOut(BaseModel):
    resource: str
    fields: list[str]
    masked: list[str]
    changes: list[ChangeOut]
    next_after: int = Field(description="下次请求的 after 参数")


class SourceUpsertOut(BaseModel):
    resource: str
    record_id: int
    seq: int
    deliveries: int = Field(description="为订阅方排队的推送数")
