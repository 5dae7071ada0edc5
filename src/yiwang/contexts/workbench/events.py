"""The workbench's event types: tasks sent by other systems, created, changed and closed."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from yiwang.core import events


class TaskSnapshot(BaseModel):
    """A task of another system as it stands after the change."""

    task_id: str = Field(description="待办编号")
    client_id: str = Field(description="发送待办的接入系统")
    client_name: str = Field(description="接入系统名称")
    external_id: str = Field(description="该系统中的事项编号")
    title: str = Field(description="标题")
    url: str = Field(description="回到该系统办理的地址")
    assignee_user_id: int | None = Field(None, description="办理人账号编号")
    assignee_department_id: int | None = Field(None, description="办理部门编号")
    assignee_roles: list[str] = Field(default_factory=list, description="办理部门中可办理的角色")
    region_code: str = Field("", description="所属行政区划代码")
    due_at: datetime | None = Field(None, description="办理期限（UTC）")
    urgency: str = Field("normal", description="紧急程度代码")
    status: Literal["open", "done", "cancelled"] = Field(description="状态")
    changes: int = Field(description="变化序号")
    created_at: datetime = Field(description="创建时间（UTC）")


# another system's text about its own case, and whom it names: not for every NATS consumer
PRIVATE = ("title", "url", "assignee_user_id")
TASK_CREATED = events.define("yiwang.workbench.task.created", "接入系统推送了一条待办", TaskSnapshot, PRIVATE)
TASK_UPDATED = events.define("yiwang.workbench.task.updated", "接入系统更新了一条待办", TaskSnapshot, PRIVATE)
TASK_CLOSED = events.define(
    "yiwang.workbench.task.closed", "接入系统办结或撤销了一条待办", TaskSnapshot, PRIVATE
)
TASK_EVENTS = (TASK_CREATED, TASK_UPDATED, TASK_CLOSED)
