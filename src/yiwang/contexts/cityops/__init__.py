"""City operations (一网统管): city events from grid workers, sensors, citizens and the hotline,
found in their grid, dispatched, handled, verified and closed on the workflow engine; Open311
GeoReport v2; the illegal-parking, congestion and waterlogging scenarios; the command dashboard.
Public surface: `routers`."""

from __future__ import annotations

from typing import Any

from yiwang.contexts.cityops import cases as _cases  # noqa: F401  (the events' workflow)
from yiwang.contexts.cityops import labels as _labels  # noqa: F401  (names actions and objects)
from yiwang.contexts.cityops import notifications as _notifications  # noqa: F401  (who hears what)
from yiwang.contexts.cityops import policies as _policies  # noqa: F401  (registers policies)

__all__ = ["routers"]


def routers() -> list[Any]:
    from yiwang.contexts.cityops import api, open311, pages

    return [api.router, open311.router, pages.router]
