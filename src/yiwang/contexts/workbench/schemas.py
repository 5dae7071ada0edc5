"""Pydantic shapes of the workbench API: tasks that other systems send to the one to-do list."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AssigneeIn(Strict):
    """A named member of staff (`username`), or the members of a department holding a role."""

    model_config = ConfigDict(
        json_schema_extra={  # the rule `_one` enforces, declared for clients
            "oneOf": [
                {
                    "required": ["username"],
                    "properties": {
                        "username": {"type": "string"},
                        "department": {"type": "null"},
                        "role": {"type": "null"},
                    },
                },
                {
                    "required": ["department"],
                    "properties": {"department": {"type": "string"}, "username": {"type": "null"}},
                },
            ]
        }
    )

    username: str | None = Field(None, min_length=1, max_length=50, description="办理人用户名")
    department: str | None = Field(
        None, min_length=1, max_length=40, description="办理部门代码，如 330106-civil_affairs"
    )
    role: str | None = Field(
        None, pattern=r"^[a-z_]{2,30}$", description="部门中可办理的角色，如 dept_staff；不填为全体工作人员"
    )

    @model_validator(mode="after")
    def _one(self) -> AssigneeIn:
        if (self.username is None) == (self.department is None):
            raise ValueError("办理人须为 username，或 department（可加 role），二者选一")
        if self.role and not self.department:
            raise ValueError("role 只能与 department 一起使用")
        return self


Url = Field(min_length=1, max_length=500, pattern=r"^(https?://|/)\S+$", description="回到该系统办理的地址")


class TaskIn(Strict):
    external_id: str = Field(min_length=1, max_length=100, description="该系统中的事项编号（同一系统内唯一）")
    title: str = Field(min_length=2, max_length=200)
    assignee: AssigneeIn
    due: AwareDatetime | None = Field(None, description="办理期限，ISO 8601，带时区")
    url: str = Url
    urgency: Literal["normal", "high", "urgent"] = "normal"


class TaskPatch(Strict):
    title: str | None = Field(None, min_length=2, max_length=200)
    assignee: AssigneeIn | None = None
    due: AwareDatetime | None = None
    url: str | None = Field(None, min_length=1, max_length=500, pattern=r"^(https?://|/)\S+$")
    urgency: Literal["normal", "high", "urgent"] | None = None
    status: Literal["open", "done", "cancelled"] | None = Field(None, description="done 办结、cancelled 撤销")


class TaskOut(BaseModel):
    id: str
    external_id: str
    title: str
    url: str
    status: str
    assignee: dict[str, object]
    due: datetime | None
    urgency: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
