"""The one authorisation point: global refusals (a disabled account, a calling system without
the action's scope) win over any policy's allow; an action without a policy is refused."""

from __future__ import annotations

from typing import Any

import pytest

from yiwang.core import authz
from yiwang.core.actor import SYSTEM, Actor
from yiwang.core.errors import Forbidden


def _anyone(_actor: Actor, _target: Any) -> authz.Decision:
    return authz.ALLOW


@pytest.fixture(autouse=True)
def _open_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(authz._POLICIES, "test.thing_open", _anyone)  # for these tests only


PERSON = Actor(kind="user", id=1, roles=frozenset({"admin"}))


@pytest.mark.parametrize(
    ("actor", "allowed", "reason"),
    [
        (PERSON, True, ""),
        (Actor(kind="user", id=1, roles=frozenset({"admin"}), disabled=True), False, "账号已停用"),
        (
            Actor(kind="client", client_id="c", scopes=frozenset({"catalog"})),
            False,
            "接入系统未获授权范围 test.thing_open",
        ),
        (Actor(kind="client", client_id="c", scopes=frozenset({"test"})), True, ""),
        (Actor(kind="client", client_id="c", scopes=frozenset({"test.thing_open"})), True, ""),
        (Actor(kind="client", client_id="c", scopes=frozenset({"test"}), disabled=True), False, "账号已停用"),
        (SYSTEM, True, ""),
    ],
)
def test_global_refusals_win_over_the_policy(actor: Actor, allowed: bool, reason: str) -> None:
    decision = authz.decide(actor, "test.thing_open")
    assert (decision.allowed, decision.reason) == (allowed, reason)
    if not allowed:
        with pytest.raises(Forbidden):
            authz.check(actor, "test.thing_open")


def test_an_action_without_a_policy_is_refused() -> None:
    assert authz.decide(PERSON, "test.thing_unknown").reason == "未登记的操作 test.thing_unknown"
