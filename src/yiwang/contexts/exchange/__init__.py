"""The governed sharing exchange (数据共享交换): requests, grants, governed reads, usage
log, subscriptions. Public surface: `routers`, `seed_sources`."""

from __future__ import annotations

from typing import Any

from yiwang.contexts.exchange import cases as _cases  # noqa: F401  (the requests' workflow)
from yiwang.contexts.exchange import events as _events  # noqa: F401  (event types, subscribers)
from yiwang.contexts.exchange import policies as _policies  # noqa: F401  (registers policies)
from yiwang.core.labels import name_action

__all__ = ["routers"]

for _action, _label in (
    ("exchange.record_lookup", "共享查询"), ("exchange.record_batch", "批量共享查询"),
    ("exchange.record_query", "条件共享查询"), ("exchange.record_verify", "信息核验（只回答是否一致）"),
    ("exchange.record_push", "订阅推送"), ("exchange.record_pull", "订阅拉取"),
):  # fmt: skip
    name_action(_action, _label)


def routers() -> list[Any]:
    from yiwang.contexts.exchange import api, api_subscriptions, pages

    return [api.router, api_subscriptions.router, pages.router]
