"""Work that must outlive the current transaction (refusals are logged even though the
refused request rolls back). Inside a request it runs right after the request's own
transaction has ended (SQLite has one writer); elsewhere it runs at once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar, Token

log = logging.getLogger(__name__)
_pending: ContextVar[list[Callable[[], None]] | None] = ContextVar("deferred", default=None)


def open_scope() -> Token[list[Callable[[], None]] | None]:
    return _pending.set([])


def close_scope(token: Token[list[Callable[[], None]] | None]) -> None:
    run_pending()
    _pending.reset(token)


def defer(fn: Callable[[], None]) -> None:
    pending = _pending.get()
    if pending is None:
        fn()
    else:
        pending.append(fn)


def has_pending() -> bool:
    return bool(_pending.get())


def run_pending() -> None:
    pending = _pending.get()
    while pending:
        fn = pending.pop(0)
        try:
            fn()
        except Exception:
            log.exception("deferred work failed")
