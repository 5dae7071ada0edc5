"""The staff side (一网协同): the one to-do list (统一待办) projected from every context's case
events and from other systems' tasks, the cases' pages with 督办, the workflow diagrams, and
notifications (every person's messages, citizens' too, and the administrator's view of failed
deliveries). Public surface: `routers`, `todo_counts`, `todo_cases`."""

from __future__ import annotations

from typing import Any

from yiwang.contexts.workbench import labels as _labels  # noqa: F401  (names actions and objects)
from yiwang.contexts.workbench import policies as _policies  # noqa: F401  (registers policies)
from yiwang.contexts.workbench import projection as _projection  # noqa: F401  (the to-do subscriber)
from yiwang.contexts.workbench.actions import Counts, todo_cases, todo_counts

__all__ = ["Counts", "routers", "todo_cases", "todo_counts"]


def routers() -> list[Any]:
    from yiwang.contexts.workbench import api, api_notifications, pages, pages_notifications

    return [api.router, api_notifications.router, pages.router, pages_notifications.router]
