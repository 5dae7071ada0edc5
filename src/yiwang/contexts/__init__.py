"""The bounded contexts. `load()` imports every one of them, as each entry point must before it
works: their policies, labels, event types, subscribers and workflow definitions register at
import, and a process missing one of them would, say, dispatch events without the subscriber
that projects the to-do list."""

from __future__ import annotations

import importlib
import pkgutil


def load() -> None:
    from yiwang.core import events

    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        importlib.import_module(f"{__name__}.{module}")
    events.declare_complete()
