"""The governed sharing exchange (数据共享交换): requests, grants, governed reads, usage
log, subscriptions. Public surface: `routers`, `seed_sources`."""

from __future__ import annotations

from typing import Any

from yiwang.contexts.exchange import cases as _cases  # noqa: F401  (the requests' workflow)
from yiwang.contexts.exchange import events as _events  # noqa: F401  (event types, subscribers)
from yiwang.contexts.exchange import labels as _labels  # noqa: F401  (names actions and objects)
from yiwang.contexts.exchange import notifications as _notifications  # noqa: F401  (who hears what)
from yiwang.contexts.exchange import policies as _policies  # noqa: F401  (registers policies)

__all__ = ["routers"]


def routers() -> list[Any]:
    from yiwang.contexts.exchange import api, api_subscriptions, pages, pages_use

    return [api.router, api_subscriptions.router, pages.router, pages_use.router]
