"""Who may do what on the workbench: pure rules of actor and target, registered with authz."""

from __future__ import annotations

from typing import Any

from yiwang.core.actor import Actor
from yiwang.core.authz import ALLOW, Decision, deny, policy


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
