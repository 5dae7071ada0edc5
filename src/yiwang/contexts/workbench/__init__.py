"""The staff side (一网协同): one to-do list across every context and other systems, the
cases' pages, notifications. Public surface: `routers`."""

from __future__ import annotations

from typing import Any

__all__ = ["routers"]


def routers() -> list[Any]:
    return []
