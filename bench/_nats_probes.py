"""What events_nats_bench.py measures with, in its worker process: a JetStream consumer that
notes when each message arrives, and a timer of the relay's own steps. Imports `yiwang` only
inside the worker (as the scripts do), never at import time."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))] if sorted_values else 0.0


class RelayTimes:
    """Where a relay cycle's time goes: the claim's transaction, publishing the batch until its
    acks, and the marks' transaction, timed by wrapping the relay's own steps (for the run)."""

    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = {"claim": [], "publish_and_acks": [], "mark": []}
        self.batch: list[int] = []

    def __enter__(self) -> RelayTimes:
        from yiwang.core import events_nats

        self._saved = (
            events_nats.repo.claim_for_publish,
            events_nats.Relay._publish,
            events_nats.Relay._finish,
        )
        claim, publish, finish = self._saved
        ms = self.ms

        def timed_claim(*a: Any) -> Any:
            t = time.perf_counter()
            claimed = claim(*a)
            ms["claim"].append((time.perf_counter() - t) * 1000)
            self.batch += [len(claimed)] if claimed else []
            return claimed

        async def timed_publish(*a: Any) -> Any:
            t = time.perf_counter()
            outcome = await publish(*a)
            ms["publish_and_acks"].append((time.perf_counter() - t) * 1000)
            return outcome

        def timed_finish(*a: Any) -> None:
            t = time.perf_counter()
            finish(*a)
            ms["mark"].append((time.perf_counter() - t) * 1000)

        events_nats.repo.claim_for_publish = timed_claim
        events_nats.Relay._publish = timed_publish
        events_nats.Relay._finish = timed_finish
        return self

    def __exit__(self, *exc: object) -> None:
        from yiwang.core import events_nats

        events_nats.repo.claim_for_publish, events_nats.Relay._publish, events_nats.Relay._finish = (
            self._saved
        )

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "cycles": len(self.batch),
            "mean_batch": sum(self.batch) / max(len(self.batch), 1),
        }
        for step, values in self.ms.items():
            values.sort()
            out[step] = {"p50_ms": percentile(values, 0.5), "p99_ms": percentile(values, 0.99)}
        return out


class Consumer:
    """A JetStream ordered consumer of yiwang.> in a thread of its own: receipt time per id."""

    def __init__(self, url: str) -> None:
        self.url, self.received = url, {}
        self._ready, self._stop = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def __enter__(self) -> Consumer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    async def _run(self) -> None:
        import nats
        from nats.js.api import DeliverPolicy

        nc = await nats.connect(self.url)

        async def got(msg: Any) -> None:
            self.received.setdefault(msg.headers["Nats-Msg-Id"], time.perf_counter())

        await nc.jetstream().subscribe(
            "yiwang.>", cb=got, ordered_consumer=True, deliver_policy=DeliverPolicy.NEW
        )
        self._ready.set()
        while not self._stop.is_set():
            await asyncio.sleep(0.05)
        await nc.close()

    def wait_for(self, ids: Any, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while any(i not in self.received for i in ids) and time.monotonic() < deadline:
            time.sleep(0.01)
