"""Sealing of the audit chain: `seal_all()` is the `audit.seal` job of `core.jobs`; `Sealer` is
the standalone thread it replaced (kept for callers that seal on their own)."""

from __future__ import annotations

import logging
import threading

from yiwang.core import audit
from yiwang.core.db import transaction
from yiwang.core.metrics import AUDIT_SEALED

log = logging.getLogger(__name__)


def seal_all() -> int:
    """Link every pending record into the chain, a batch per transaction (the `audit.seal` job)."""
    total = 0
    while True:
        with transaction() as s:
            n = audit.seal(s)
        total += n
        AUDIT_SEALED.inc(n)
        if n == 0:
            return total


class Sealer:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-sealer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.seal_all()

    def seal_all(self) -> int:
        return seal_all()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.seal_all()
            except Exception:
                log.exception("audit sealing failed; will retry")
