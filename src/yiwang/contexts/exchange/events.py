"""The exchange's event types and its subscribers (webhook fan-out)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from yiwang.contexts.exchange import repository as repo
from yiwang.contexts.exchange.policies import grant_refusal
from yiwang.core import events
from yiwang.core.codes import region_covers
from yiwang.core.db import utcnow
from yiwang.core.workdays import local_day


class RecordChanged(BaseModel):
    resource: str = Field(description="信息资源代码")
    resource_id: int = Field(description="信息资源的内部编号")
    record_id: int = Field(description="源数据记录的内部编号")
    seq: int = Field(description="该资源变更序号（change_log），订阅方据此排序")
    op: Literal["upsert", "delete"] = Field(description="新增或更新 / 删除")
    region_code: str = Field(description="记录所属行政区划代码（订阅的数据范围据此判断）")


RECORD_CHANGED = events.define(
    "yiwang.exchange.record.changed", "提供部门更新了共享资源的一条源数据（订阅推送据此投递）", RecordChanged
)


def subscribed(session: Session, resource_id: int, region_code: str, day: date) -> list[int]:
    """The active subscriptions whose grant is in force on `day` and whose scope covers the row."""
    return [sub.id for sub, grant in repo.subscriptions_for_resource(session, resource_id)
            if grant_refusal(grant, day) is None and region_covers(grant.row_scope, region_code)]  # fmt: skip


def _fan_out(session: Session, event: events.Event) -> None:
    """One webhook delivery per subscription that may see the changed row."""
    from yiwang.contexts.exchange import delivery

    change = RecordChanged.model_validate(event.data)
    targets = subscribed(session, change.resource_id, change.region_code, local_day(event.time))
    delivery.enqueue(session, [(sid, change.seq) for sid in targets], 0, utcnow())


events.subscribe("exchange.webhooks", RECORD_CHANGED, _fan_out)
