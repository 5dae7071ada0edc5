"""The staff side (一网协同): the one to-do list (统一待办) projected from every context's case
events and from other systems' tasks, the cases' pages with 督办, the workflow diagrams, and
notifications (every person's messages, citizens' too, and the administrator's view of failed
deliveries), the 12345 hotline's work orders (hotline_*.py), and the knowledge base with 智能咨询. Public surface: `routers`, `todo_counts`,
`todo_cases`; for the knowledge base `save_article` / `ArticleIn` (another context's service
guides become articles), `register_consult_source` / `Suggestion` (what 智能咨询 offers beside
the articles, e.g. service items) and `register_handoff` (the hotline's message page)."""

from __future__ import annotations

from typing import Any

from yiwang.contexts.workbench import hotline_cases as _hotline_cases  # noqa: F401  (the work order process)
from yiwang.contexts.workbench import hotline_events as _hotline_events  # noqa: F401  (declares event types)
from yiwang.contexts.workbench import hotline_labels as _hotline_labels  # noqa: F401  (names actions and objects)
from yiwang.contexts.workbench import hotline_policies as _hotline_policies  # noqa: F401  (registers policies)
from yiwang.contexts.workbench import knowledge_events as _knowledge_events  # noqa: F401  (event types)
from yiwang.contexts.workbench import knowledge_policies as _knowledge_policies  # noqa: F401
from yiwang.contexts.workbench import labels as _labels  # noqa: F401  (names actions and objects)
from yiwang.contexts.workbench import policies as _policies  # noqa: F401  (registers policies)
from yiwang.contexts.workbench import projection as _projection  # noqa: F401  (the to-do subscriber)
from yiwang.contexts.workbench.actions import Counts, todo_cases, todo_counts
from yiwang.contexts.workbench.knowledge_actions import article_save as save_article
from yiwang.contexts.workbench.knowledge_consult import Suggestion, register_consult_source, register_handoff
from yiwang.contexts.workbench.knowledge_schemas import ArticleIn

__all__ = [
    "ArticleIn", "Counts", "Suggestion", "register_consult_source", "register_handoff", "routers", "save_article",
    "todo_cases", "todo_counts",
]  # fmt: skip


def routers() -> list[Any]:
    from yiwang.contexts.workbench import (
        api,
        api_notifications,
        hotline_api,
        hotline_pages,
        knowledge_api,
        knowledge_pages,
        pages,
        pages_notifications,
    )

    return [api.router, api_notifications.router, hotline_api.router, knowledge_api.router, pages.router,
            pages_notifications.router, hotline_pages.router, knowledge_pages.router]  # fmt: skip
