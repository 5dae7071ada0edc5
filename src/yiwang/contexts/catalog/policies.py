"""Who may do what in the catalog: metadata is readable by all; registering is for data officers."""

from __future__ import annotations

from typing import Any

from yiwang.core.actor import Actor
from yiwang.core.authz import ALLOW, Decision, deny, policy


@policy("catalog.resource_read")
def resource_read(_actor: Actor, _resource: Any) -> Decision:
    return ALLOW  # the directory of government data is public; the data itself is not


@policy("catalog.resource_register")
def resource_register(actor: Actor, _target: Any) -> Decision:
    if actor.has("data_officer") or actor.has("admin"):
        return ALLOW
    return deny("仅数据管理员可登记信息资源")
