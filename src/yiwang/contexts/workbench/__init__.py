"""The staff side (一网协同): the one to-do list (统一待办) projected from every context's case
events and from other systems' tasks, the cases' pages with 督办, the workflow diagrams, and
notifications (every person's messages, citizens' too, and the administrator's view of failed
deliveries), and the 12345 hotline's work orders (hotline_*.py). Public surface: `routers`, `todo_counts`, `todo_cases`."""

from __future__ import annotations

from typing import Any

from yiwang.contexts.workbench import hotline_cases as _hotline_cases  # noqa: F401  (the work order process)
from yiwang.contexts.workbench import hotline_events as _hotline_events  # noqa: F401  (declares event types)
from yiwang.contexts.workbench import hotline_labels as _hotline_labels  # noqa: F401  (names actions and objects)
from yiwang.contexts.workbench import hotline_policies as _hotline_policies  # noqa: F401  (registers policies)
from yiwang.contexts.workbench import labels as _labels  # noqa: F401  (names actions and objects)
from yiwang.contexts.workbench import policies as _policies  # noqa: F401  (registers policies)
from yiwang.contexts.workbench import projection as _projection  # noqa: F401  (the to-do subscriber)
from yiwang.contexts.workbench.actions import Counts, todo_cases, todo_counts

__all__ = ["Counts", "routers", "todo_cases", "todo_counts"]


def routers() -> list[Any]:
    from yiwang.contexts.workbench import (
        api,
        api_notifications,
        hotline_api,
        hotline_pages,
        pages,
        pages_notifications,
    )

    return [api.router, api_notifications.router, hotline_api.router, pages.router, pages_notifications.router,
            hotline_pages.router]  # fmt: skip
