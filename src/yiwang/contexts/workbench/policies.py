"""Who may do what on the workbench: the to-do list, cases, 督办, other systems' tasks, and each
person's notifications. Pure rules of actor and target, registered with authz."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from yiwang.core import authz
from yiwang.core.actor import Actor
from yiwang.core.authz import ALLOW, Decision, deny, policy
from yiwang.core.codes import region_covers
from yiwang.core.workflow_spec import Facts

OVERSEERS = frozenset({"leader", "admin", "data_officer"})
authz.scope("tasks", "workbench.task_")


@policy("workbench.todo_read")
def todo_read(actor: Actor, _t: Any) -> Decision:
    if actor.kind == "user" and actor.is_staff:
        return ALLOW
    return deny("待办只对工作人员开放")


def _covers(actor: Actor, region: str) -> bool:
    return actor.has("admin") or (bool(actor.region_code) and region_covers(actor.region_code or "", region))


def visible(actor: Actor, facts: Facts) -> bool:
    """A case is seen by its parties, its assignee, its supervisors and overseers of its region."""
    if actor.kind != "user":
        return False
    if actor.id is not None and (actor.id in facts.supervisors or actor.id == facts.assignee_user_id):
        return True
    if actor.is_staff and actor.department_id is not None:
        departments = {p.department_id for p in facts.parties.values()} | {facts.assignee_department_id}
        if actor.department_id in departments:
            return True
    if any(p.user_id == actor.id for p in facts.parties.values() if p.user_id is not None):
        return True
    return bool(actor.roles & OVERSEERS) and _covers(actor, facts.region_code)


@policy("workbench.case_read")
def case_read(actor: Actor, facts: Facts) -> Decision:
    return ALLOW if visible(actor, facts) else deny("您不是该案件的当事方、办理人或督办人")


@dataclass(frozen=True)
class InPlace:
    """A transition taken from the to-do list or the case page."""

    target: Any  # workflow.TransitionTarget
    in_place: bool


@policy("workbench.case_transition")
def case_transition(actor: Actor, t: InPlace) -> Decision:
    if not t.in_place:
        return deny("该操作需要在业务页面办理")
    return authz.decide(actor, t.target.action, t.target)


@policy("workbench.case_supervise")
def case_supervise(actor: Actor, facts: Facts) -> Decision:
    if (
        actor.kind == "user"
        and (actor.has("leader") or actor.has("admin"))
        and _covers(actor, facts.region_code)
    ):
        return ALLOW
    return deny("只有本区划的领导可以督办")


@dataclass(frozen=True)
class SupervisionTarget:
    supervisor_user_id: int


@policy("workbench.supervision_end")
def supervision_end(actor: Actor, t: SupervisionTarget) -> Decision:
    if actor.kind == "user" and (actor.id == t.supervisor_user_id or actor.has("admin")):
        return ALLOW
    return deny("只有督办人可以结束督办")


@policy("workbench.supervision_list")
def supervision_list(actor: Actor, _t: Any) -> Decision:
    if actor.kind == "user" and (actor.has("leader") or actor.has("admin")):
        return ALLOW
    return deny("督办清单只对领导开放")


@policy("workbench.workflow_read")
def workflow_read(actor: Actor, _t: Any) -> Decision:
    if actor.kind == "user" and actor.is_staff:
        return ALLOW
    return deny("流程定义只对工作人员开放")


@dataclass(frozen=True)
class ClientTask:
    """Another system's task (None when it does not exist yet)."""

    client_id: str | None


@policy("workbench.task_create")
def task_create(actor: Actor, _t: Any) -> Decision:
    if actor.kind == "client" and actor.client_id:
        return ALLOW
    return deny("只有接入系统可以推送待办")


@policy("workbench.task_read")
def task_read(actor: Actor, t: ClientTask) -> Decision:
    if actor.kind == "client" and t.client_id == actor.client_id:
        return ALLOW
    return deny("只能读取本系统推送的待办")


@policy("workbench.task_update")
def task_update(actor: Actor, t: ClientTask) -> Decision:
    return task_read(actor, t)


# --- notifications ---------------------------------------------------------------------------


def _a_person(actor: Actor) -> Decision:
    """A Decision is falsy when it refuses: callers test `.allowed`, never `or` it away."""
    if actor.kind != "user" or actor.id is None:
        return deny("只有登录的个人账号有自己的消息")
    return ALLOW


@policy("workbench.notification_list")
def notification_list(actor: Actor, _target: Any) -> Decision:
    """A person's own messages (the target is always the actor's own list)."""
    return _a_person(actor)


@policy("workbench.notification_mark_all_read")
def notification_mark_all_read(actor: Actor, _target: Any) -> Decision:
    return _a_person(actor)


@policy("workbench.notification_mark_read")
def notification_mark_read(actor: Actor, message: Any) -> Decision:
    """`message` has the `user_id` of the person it was sent to."""
    person = _a_person(actor)
    if not person.allowed:
        return person
    if getattr(message, "user_id", None) != actor.id:
        return deny("只能处理发给自己的消息")
    return ALLOW


def _administrator(actor: Actor) -> Decision:
    if actor.kind == "user" and actor.has("admin"):
        return ALLOW
    return deny("只有系统管理员可以查看和重发未送达的消息")


@policy("workbench.notification_failure_list")
def notification_failure_list(actor: Actor, _target: Any) -> Decision:
    return _administrator(actor)


@policy("workbench.notification_retry")
def notification_retry(actor: Actor, _delivery: Any) -> Decision:
    return _administrator(actor)
