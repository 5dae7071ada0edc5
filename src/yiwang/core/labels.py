"""Chinese names of actions, for the records people read (谁使用了我的数据, audit pages)."""

from __future__ import annotations

_ACTIONS: dict[str, str] = {}


def name_action(action: str, label: str) -> None:
    _ACTIONS[action] = label


def action_label(action: str) -> str:
    return _ACTIONS.get(action, action)
