"""The one authorisation point: `check(actor, action, target)` before every action.

Each context registers a policy per action (a pure function of actor and target that
returns a Decision) with `@policy("ctx.entity_verb")`. Global deny rules run first and
deny wins over allow: a disabled actor or an API client without the action's scope is
refused whatever the policy says. An action without a policy is refused.

A missing target is 404 before any policy runs: an action loads its target and passes it to
`check`; `None` there means it does not exist (`NotFound`), unless the policy says it can judge
without one: its target parameter admits None (`region_code: str | None`) or is unused (named
with a leading underscore, `_target: Any`).
"""

from __future__ import annotations

import inspect
import logging
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from yiwang.core.actor import Actor
from yiwang.core.errors import Forbidden, NotFound, Unauthenticated

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
_NEEDS_TARGET: set[str] = set()
_denial_listeners: list[Callable[[Actor, str, Any, str], None]] = []


def policy(action: str) -> Callable[[Policy], Policy]:
    def register(fn: Policy) -> Policy:
        if action in _POLICIES and _POLICIES[action] is not fn:
            raise RuntimeError(f"two policies for {action}")
        _POLICIES[action] = fn
        if _needs_target(fn):
            _NEEDS_TARGET.add(action)
        return fn

    return register


def _admits_none(hint: Any) -> bool:
    if hint is Any or hint is None or hint is type(None) or hint is object:
        return hint is not Any
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return type(None) in typing.get_args(hint)
    return False


def _needs_target(fn: Policy) -> bool:
    params = list(inspect.signature(fn).parameters.values())
    if len(params) < 2 or params[1].name.startswith("_"):
        return False
    try:
        hint = typing.get_type_hints(fn).get(params[1].name, Any)
    except Exception:  # an annotation that cannot be resolved: judge by the name alone
        hint = Any
    return not _admits_none(hint)


def needs_target(action: str) -> bool:
    """Whether `check(actor, action, None)` answers 404 (see the module's docstring)."""
    return action in _NEEDS_TARGET


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
    if target is None and action in _NEEDS_TARGET:
        return deny("对象不存在")
    return fn(actor, target)


def check(actor: Actor, action: str, target: Any = None) -> None:
    if target is None and action in _NEEDS_TARGET and _global_denials(actor, action) is None:
        raise NotFound("未找到该对象")
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
