"""The events of cases: every change of a case publishes its whole snapshot, so that a
subscriber (the one to-do list, notifications, other systems over NATS) needs nothing else and
a projection rebuilt from the events alone comes out the same."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from yiwang.core import events
from yiwang.core.workflow_spec import Definition

LIFECYCLE = {
    "created": "{subject}已提交",
    "warned": "{subject}临近办理期限",
    "overdue": "{subject}已超过办理期限",
    "escalated": "{subject}超期升级督办",
    "supervised": "{subject}被列入督办",
    "supervision_ended": "{subject}的督办已结束",
}


class CaseParty(BaseModel):
    department_id: int | None = Field(None, description="部门编号")
    user_id: int | None = Field(None, description="账号编号（当事人为个人时）")
    region_code: str | None = Field(None, description="该方所在行政区划代码")
    name: str = Field("", description="名称")


class CaseAssignee(BaseModel):
    """Who works on the case now: a person, or the members of a department holding a role."""

    user_id: int | None = Field(None, description="指定办理人的账号编号")
    department_id: int | None = Field(None, description="办理部门编号")
    roles: list[str] = Field(
        default_factory=list, description="办理部门中可办理的角色（空：部门全体工作人员）"
    )


class CaseEscalation(BaseModel):
    level: int = Field(description="升级级别")
    label: str = Field(description="升级说明")
    assignee: CaseAssignee = Field(description="须跟进督办的部门与角色")


class CaseEvent(BaseModel):
    """A case as it stands after one change."""

    case_id: int = Field(description="案件（流程实例）编号")
    definition: str = Field(description="流程定义代码")
    version: int = Field(description="流程定义版本")
    subject_type: str = Field(description="业务对象类型")
    subject_id: str = Field(description="业务对象编号")
    subject_label: str = Field(description="业务对象名称，如 共享申请")
    title: str = Field(description="案件标题")
    url: str = Field(description="办理页面地址")
    region_code: str = Field(description="案件所属行政区划代码")
    urgency: str = Field(description="紧急程度代码")
    urgency_label: str = Field(description="紧急程度")
    state: str = Field(description="当前环节代码")
    state_label: str = Field(description="当前环节")
    state_kind: Literal["initial", "active", "paused", "terminal"] = Field(description="环节类别")
    step: str = Field(description="本次变化：start、流转代码、warning、overdue、escalation、supervision")
    step_label: str = Field(description="本次变化的名称")
    from_state: str | None = Field(None, description="流转前环节代码")
    actor: str = Field(description="操作者")
    actor_name: str = Field("", description="操作者姓名")
    on_behalf_of: str | None = Field(None, description="代为操作的最终用户")
    comment: str | None = Field(None, description="意见、理由或督办说明")
    assignee: CaseAssignee | None = Field(None, description="当前办理人（办结后为空）")
    escalated_to: list[CaseEscalation] = Field(default_factory=list, description="已升级至的督办对象")
    parties: dict[str, CaseParty] = Field(description="当事各方，如 applicant、provider")
    due_at: datetime | None = Field(None, description="办理期限（UTC）")
    due_provisional: bool = Field(False, description="期限跨入尚未公布节假日安排的年份，按工作日暂计")
    paused: bool = Field(False, description="计时是否暂停（补正、延期、挂起）")
    overdue: bool = Field(False, description="是否已超期")
    escalation_level: int = Field(0, description="已升级的级别")
    supervised: bool = Field(False, description="是否在督办中")
    supervisors: list[int] = Field(default_factory=list, description="督办人的账号编号")
    revision: int = Field(description="已完成的流转次数（表单据此判断是否过期）")
    changes: int = Field(description="案件的变化序号（含流转、期限事件与督办），订阅方据此排序")
    closed: bool = Field(False, description="是否已办结")


# What stays in the process: free text (reasons, comments, 督办 notes), the names of people and
# their account ids. Other systems get the case's state, deadline, departments and ids.
PRIVATE = ("comment", "actor", "actor_name", "on_behalf_of", "supervisors", "assignee.user_id",
           "parties.*.name", "parties.*.user_id")  # fmt: skip


def declare(spec: Definition) -> None:
    """Declare the event types of a definition: its lifecycle and one per transition verb."""
    subject = spec.subject.label
    for verb, summary in LIFECYCLE.items():
        events.define(spec.event_type(verb), summary.format(subject=subject), CaseEvent, PRIVATE)
    seen: set[str] = set()
    for code, t in spec.transitions.items():
        verb = t.event or code
        if verb not in seen:  # transitions may share a verb (approve, auto_approve -> approved)
            seen.add(verb)
            events.define(spec.event_type(verb), f"{subject}：{t.label}", CaseEvent, PRIVATE)


def is_case_event(event: events.Event) -> bool:
    return events.type_of(event.type).data is CaseEvent
