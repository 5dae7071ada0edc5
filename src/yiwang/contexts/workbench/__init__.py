"""The staff side (一网协同): one to-do list across every context and other systems, the
cases' pages, notifications (every person's messages, citizens' too, and the administrator's
view of failed deliveries). Public surface: `routers`."""

from __future__ import annotations

from typing import Any

from yiwang.contexts.workbench import policies as _policies  # noqa: F401  (registers policies)

__all__ = ["routers"]


def routers() -> list[Any]:
    from yiwang.contexts.workbench import api_notifications, pages_notifications

    return [api_notifications.router, pages_notifications.router]
