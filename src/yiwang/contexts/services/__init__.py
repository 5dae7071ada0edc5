"""一网通办: service items and their guides, applications online and at any window, on the
workflow engine. Public surface: `routers`, `seed_items`, `seed_grants`."""

from __future__ import annotations

from typing import Any

from yiwang.contexts.services import cases as _cases  # noqa: F401  (the applications' workflow)
from yiwang.contexts.services import evaluations as _evaluations  # noqa: F401  (the rectifications' workflow)
from yiwang.contexts.services import labels as _labels  # noqa: F401  (names actions and objects)
from yiwang.contexts.services import notifications as _notifications  # noqa: F401  (who hears what)
from yiwang.contexts.services import policies as _policies  # noqa: F401  (registers policies)
from yiwang.contexts.services.prefill import seed_grants
from yiwang.contexts.services.seed import seed_items, seed_licenses

__all__ = ["routers", "seed_grants", "seed_items", "seed_licenses"]


def routers() -> list[Any]:
    from yiwang.contexts.services import api, api_bundles, api_licenses, pages, pages_bundles, pages_licenses

    return [api.router, api_bundles.router, api_licenses.router, pages.router, pages_bundles.router,
            pages_licenses.router]  # fmt: skip
