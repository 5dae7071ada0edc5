"""A process that commits events and dies with a relay half-way (tests/core/test_events_nats.py).

`python -m tests.core.nats_relay_crash N` commits N events (with YIWANG_NATS_URL set, so they
wait for NATS), prints their ids, then runs a relay of YIWANG_NATS_BATCH events a batch that is
SIGKILLed at its second mark: the first batch is published and marked, the second published
and acked but never marked, the rest never published."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from typing import Any

from pydantic import BaseModel

from yiwang.core import events

PARCEL = "yiwang.test.parcel.sent"


class ParcelData(BaseModel):
    parcel_id: int


events.define(PARCEL, "测试事件：包裹已寄出", ParcelData)


def emit_parcels(first: int, count: int) -> list[str]:
    """Commit `count` events, each in its own transaction; their CloudEvent ids."""
    from yiwang.core.db import transaction

    ids = []
    for parcel_id in range(first, first + count):
        with transaction() as s:
            ids.append(events.emit(s, PARCEL, f"parcel/{parcel_id}", {"parcel_id": parcel_id}).id)
    return ids


def main() -> None:
    from yiwang.core import events_nats
    from yiwang.core import events_repository as repo

    print(json.dumps(emit_parcels(1, int(sys.argv[1]))), flush=True)
    marks = {"n": 0}
    mark = repo.mark_published

    def mark_or_die(session: Any, seqs: Any, at: Any) -> None:
        marks["n"] += bool(seqs)
        if marks["n"] == 2:  # the acks are in; the process dies before its UPDATE
            os.kill(os.getpid(), signal.SIGKILL)
        mark(session, seqs, at)

    repo.mark_published = mark_or_die  # type: ignore[assignment]
    asyncio.run(events_nats.Relay().run())


if __name__ == "__main__":
    main()
