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


_SCOPES: dict[str, tuple[str, ...]] = {}  # a named scope -> the action prefixes it grants


def scope(name: str, *action_prefixes: str) -> None:
    """A scope an API client may be given besides a context's name, e.g. `tasks` for the
    to-do list's `workbench.task_` actions."""
    _SCOPES[name] = action_prefixes


def known_scopes() -> frozenset[str]:
    """Every scope a client can be given: `*`, each context with actions, each named scope."""
    return frozenset({"*", *(a.split(".", 1)[0] for a in _POLICIES), *_SCOPES})


def _in_scope(scopes: frozenset[str], action: str) -> bool:
    if action in scopes or action.split(".", 1)[0] in scopes or "*" in scopes:
        return True
    return any(action.startswith(p) for s in scopes for p in _SCOPES.get(s, ()))


def _global_denials(actor: Actor, action: str) -> Decision | None:
    if actor.disabled:
        return deny("账号已停用")
    if actor.kind == "client" and not _in_scope(actor.scopes, action):
        return deny(f"接入系统未获授权范围 {action}")
    return None


def decide(actor: Actor, action: str, target: Any = None) -> Decision:
    """The decision without side effects (pages use it to show or hide a button)."""
    if actor.kind == "system":
        return ALLOW
    denied = _global_denials(actor, action)
    if denied is not None:  # a Decision is falsy when it denies: test for presence, not truth
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
