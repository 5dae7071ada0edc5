"""Who may read, mark and resend notifications: pure rules, checked exhaustively."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from yiwang.contexts.workbench import policies as _policies  # noqa: F401  (registers them)
from yiwang.core import authz
from yiwang.core.actor import ANONYMOUS, SYSTEM, Actor

CITIZEN = Actor(kind="user", id=7, name="市民", roles=frozenset({"citizen"}))
CLERK = Actor(kind="user", id=8, name="窗口", roles=frozenset({"window_clerk"}))
ADMIN = Actor(kind="user", id=9, name="管理员", roles=frozenset({"admin"}))
CLIENT = Actor(kind="client", client_id="c_x", scopes=frozenset({"workbench"}))
DISABLED = Actor(kind="user", id=7, roles=frozenset({"citizen"}), disabled=True)


@dataclass
class Message:
    user_id: int


@pytest.mark.parametrize(
    ("actor", "own_list", "mark_mine", "mark_theirs", "failures", "retry"),
    [
        (CITIZEN, True, True, False, False, False),
        (CLERK, True, False, True, False, False),
        (ADMIN, True, False, False, True, True),
        (CLIENT, False, False, False, False, False),
        (ANONYMOUS, False, False, False, False, False),
        (DISABLED, False, False, False, False, False),
    ],
)
def test_a_person_handles_only_their_own_messages_and_only_admins_resend(
    actor: Actor, own_list: bool, mark_mine: bool, mark_theirs: bool, failures: bool, retry: bool
) -> None:
    assert bool(authz.decide(actor, "workbench.notification_list")) is own_list
    assert bool(authz.decide(actor, "workbench.notification_mark_all_read")) is own_list
    assert bool(authz.decide(actor, "workbench.notification_mark_read", Message(7))) is mark_mine
    assert bool(authz.decide(actor, "workbench.notification_mark_read", Message(8))) is mark_theirs
    assert bool(authz.decide(actor, "workbench.notification_failure_list")) is failures
    assert bool(authz.decide(actor, "workbench.notification_retry", None)) is retry


def test_the_refusals_say_why_in_chinese() -> None:
    assert (
        authz.decide(CLERK, "workbench.notification_mark_read", Message(7)).reason == "只能处理发给自己的消息"
    )
    assert authz.decide(CLIENT, "workbench.notification_list").reason == "只有登录的个人账号有自己的消息"
    assert "系统管理员" in authz.decide(CITIZEN, "workbench.notification_retry").reason
    assert authz.decide(SYSTEM, "workbench.notification_retry")  # jobs and the CLI act as the system
