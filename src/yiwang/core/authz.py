"""The one authorisation point: `check(actor, action, target)` before every action.

Each context registers a policy per action (a pure function of actor and target that
returns a Decision) with `@policy("ctx.entity_verb")`. Global deny rules run first and
deny wins over allow: a disabled actor or an API client without the action's scope is
refused whatever the policy says. An action without a policy is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from yiwang.core.actor import Actor
from yiwang.core.errors import Forbidden, Unauthenticated

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)


def deny(reason: str) -> Decision:
    return Decision(False, reason)


Policy = Callable[[Actor, Any], Decision]
_POLICIES: dict[str, Policy] = {}
_denial_listeners: list[Callable[[Actor, str, Any, str], None]] = []


def policy(action: str) -> Callable[[Policy], Policy]:
    def register(fn: Policy) -> Policy:
        if action in _POLICIES and _POLICIES[action] is not fn:
            raise RuntimeError(f"two policies for {action}")
        _POLICIES[action] = fn
        return fn

    return register


def registered_actions() -> frozenset[str]:
    return frozenset(_POLICIES)


def on_denial(listener: Callable[[Actor, str, Any, str], None]) -> None:
    """Called (outside the failing transaction) for every refusal, e.g. to audit it."""
    _denial_listeners.append(listener)


def _global_denials(actor: Actor, action: str) -> Decision | None:
    if actor.disabled:
        return deny("账号已停用")
    if actor.kind == "client":
        context = action.split(".", 1)[0]
        if action not in actor.scopes and context not in actor.scopes and "*" not in actor.scopes:
            return deny(f"接入系统未获授权范围 {action}")
    return None


def decide(actor: Actor, action: str, target: Any = None) -> Decision:
    """The decision without side effects (pages use it to show or hide a button)."""
    if actor.kind == "system":
        return ALLOW
    denied = _global_denials(actor, action)
    if denied is not None:  # a refusal is falsy (Decision.__bool__): `if denied` never refused
        return denied
    fn = _POLICIES.get(action)
    if fn is None:
        return deny(f"未登记的操作 {action}")
    return fn(actor, target)


def check(actor: Actor, action: str, target: Any = None) -> None:
    decision = decide(actor, action, target)
    if decision.allowed:
        return
    for listener in _denial_listeners:
        try:
            listener(actor, action, target, decision.reason)
        except Exception:  # a failing audit of a refusal must not turn it into a success
            log.exception("denial listener failed")
    if actor.kind == "anonymous":
        raise Unauthenticated("请先登录")
    raise Forbidden(decision.reason or "无权执行此操作")
