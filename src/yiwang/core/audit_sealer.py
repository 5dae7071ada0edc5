"""Background sealing of the audit chain inside the server process (a thread, not a lock)."""

from __future__ import annotations

import logging
import threading

from yiwang.core import audit
from yiwang.core.db import transaction
from yiwang.core.metrics import AUDIT_SEALED

log = logging.getLogger(__name__)


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
        total = 0
        while True:
            with transaction() as s:
                n = audit.seal(s)
            total += n
            AUDIT_SEALED.inc(n)
            if n == 0:
                return total

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.seal_all()
            except Exception:
                log.exception("audit sealing failed; will retry")
