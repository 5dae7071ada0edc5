"""The outbox's NATS JetStream relay (`core.events_nats`) on PostgreSQL, in one process.

Throughput: --events events committed through `events.emit` (500 a transaction; not timed),
then one relay started; events/s from its start (connecting included) until all are acked
and marked published.
Baseline in the same round: the same messages (subject, CloudEvents JSON, headers; fresh
Nats-Msg-Ids) published from the same process with no database, the way the relay publishes
them: `publish_async` in batches of the relay's batch size, each batch's acks awaited.

Latency: --rate events/s for --seconds, each committed in its own transaction through
`events.emit` by one of 4 threads (one thread alone managed ~90 commits/s on the loaded VM), in
a process set up as a server is (dispatcher thread, relay thread woken by the commits); the time from each commit's return to its receipt by a JetStream ordered consumer in
the same process. Baseline in the same round: the same pacing, each message published bare
(`js.publish`, ack awaited) from the same process, timed from the publish to the same consumer.

Arms alternate (the leader swaps each round), --rounds rounds, medians (min–max). A fresh
nats-server (JetStream, temporary store) and a fresh yiwang_bench_* database for the run.

    .venv/bin/python bench/events_nats_bench.py                      # 20,000 events; 200/s for 20 s
    .venv/bin/python bench/events_nats_bench.py --only throughput --rounds 7
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from _common import ScratchDB, command_line, env_for, machine_note, median, run_json, save, source_note, table
from _nats_probes import Consumer, RelayTimes, percentile

STREAM = "YIWANG"
LOAD = "yiwang.bench.load.sent"
EMITTERS = 4  # threads committing the latency run's events, as a server's request threads do


# --------------------------------------------------------------------------- worker side
def _define_load_type() -> None:
    from pydantic import BaseModel

    from yiwang.core import events

    class LoadData(BaseModel):
        n: int
        note: str

    events.define(LOAD, "压测事件", LoadData)


def _emit(first: int, count: int, per_transaction: int) -> None:
    from yiwang.core import events
    from yiwang.core.db import transaction

    note = "负载" * 20  # ~120 bytes of data, like a typical event's
    for start in range(first, first + count, per_transaction):
        with transaction() as s:
            for n in range(start, min(start + per_transaction, first + count)):
                events.emit(s, LOAD, f"load/{n}", {"n": n, "note": note})


async def _make_stream(url: str) -> None:
    """The stream as the relay makes it, before either arm runs (the consumers need it)."""
    import nats

    from yiwang.core import events_nats

    nc = await nats.connect(url)
    try:
        await events_nats.Relay()._ensure_stream(nc.jetstream())
    finally:
        await nc.close()


async def _purge(url: str) -> None:
    import nats

    nc = await nats.connect(url)
    try:
        await nc.jetstream().purge_stream(STREAM)
    finally:
        await nc.close()


def _product_throughput(url: str, count: int) -> dict[str, Any]:
    """One relay started on `count` pending events: seconds until all are acked and marked."""
    from yiwang.core import events_nats
    from yiwang.core import events_repository as repo
    from yiwang.core.db import transaction

    relay = events_nats.Relay()
    with RelayTimes() as steps:
        start = time.perf_counter()
        relay.start()
        while relay.published < count:
            time.sleep(0.002)
        seconds = time.perf_counter() - start
        relay.stop()
    with transaction() as s:
        assert repo.publish_backlog(s) == 0
    asyncio.run(_purge(url))
    return {"seconds": seconds, "events_per_s": count / seconds, "relay": steps.summary()}


def _messages(after_seq: int, count: int, tag: str) -> list[tuple[str, bytes, dict[str, str]]]:
    """The relay's messages of these outbox rows, under fresh Nats-Msg-Ids (none is a duplicate)."""
    from yiwang.core import events_nats
    from yiwang.core import events_repository as repo
    from yiwang.core.db import transaction
    from yiwang.core.events import Event

    with transaction() as s:
        rows = repo.since(s, after_seq, None, LOAD, count)
    out = []
    for row in rows:
        subject, payload, headers = events_nats.message(Event.of(row))
        out.append((subject, payload, {**headers, "Nats-Msg-Id": f"{headers['Nats-Msg-Id']}-{tag}"}))
    return out


async def _bare_throughput(url: str, messages: list[tuple[str, bytes, dict[str, str]]], batch: int) -> float:
    import nats

    start = time.perf_counter()
    nc = await nats.connect(url)
    js = nc.jetstream(publish_async_max_pending=batch)
    for i in range(0, len(messages), batch):
        acks = [await js.publish_async(s, p, headers=h) for s, p, h in messages[i : i + batch]]
        await asyncio.gather(*acks)
    seconds = time.perf_counter() - start
    await js.purge_stream(STREAM)
    await nc.close()
    return seconds


def throughput(url: str, count: int, rounds: int) -> dict[str, Any]:
    from yiwang.core import events_repository as repo
    from yiwang.core.db import transaction
    from yiwang.settings import get_settings

    batch = get_settings().nats_batch
    runs: list[dict[str, Any]] = []
    for r in range(rounds):
        with transaction() as s:
            after = repo.last_seq(s)
        t = time.perf_counter()
        _emit(after + 1, count, 500)  # pending for NATS: no relay runs yet
        result: dict[str, Any] = {"insert_per_s": count / (time.perf_counter() - t)}
        messages = _messages(after, count, f"bare{r}")
        result["order"] = arms = ("product", "bare") if r % 2 == 0 else ("bare", "product")
        for arm in arms:
            if arm == "product":
                result["product"] = _product_throughput(url, count)
            else:
                seconds = asyncio.run(_bare_throughput(url, messages, batch))
                result["bare"] = {"seconds": seconds, "events_per_s": count / seconds}
        result["ratio"] = result["product"]["events_per_s"] / result["bare"]["events_per_s"]
        runs.append(result)
        print(json.dumps({"throughput_round": r + 1, **result}), file=sys.stderr, flush=True)
    return {"runs": runs, "batch": batch}


def _latencies(sent: dict[str, float], consumer: Consumer) -> dict[str, Any]:
    consumer.wait_for(sent)
    lost = [i for i in sent if i not in consumer.received]
    ms = sorted((consumer.received[i] - t) * 1000 for i, t in sent.items() if i in consumer.received)
    return {"events": len(sent), "lost": len(lost), "p50_ms": percentile(ms, 0.5),
            "p99_ms": percentile(ms, 0.99), "max_ms": ms[-1] if ms else 0.0}  # fmt: skip


def _product_latency(url: str, rate: float, seconds: float, first: int) -> dict[str, Any]:
    from yiwang.core import events, events_dispatch, events_nats
    from yiwang.core.db import transaction

    sent: dict[str, float] = {}
    total = int(rate * seconds)

    def emitter(k: int, start: float) -> None:  # a request thread's commit: event i at start + i/rate
        for i in range(k, total, EMITTERS):
            time.sleep(max(0.0, start + i / rate - time.perf_counter()))
            with transaction() as s:
                event = events.emit(s, LOAD, f"load/{first + i}", {"n": first + i, "note": "延迟"})
            sent[event.id] = time.perf_counter()

    events_dispatch.start()
    events_nats.start()
    try:
        with Consumer(url) as consumer, RelayTimes() as steps:
            start = time.perf_counter()
            threads = [threading.Thread(target=emitter, args=(k, start)) for k in range(EMITTERS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            rate_achieved = len(sent) / (time.perf_counter() - start)
            return {**_latencies(sent, consumer), "rate": rate_achieved, "relay": steps.summary()}
    finally:
        events_nats.stop()
        events_dispatch.stop()


def _bare_latency(url: str, rate: float, seconds: float, tag: str) -> dict[str, Any]:
    import nats

    sent: dict[str, float] = {}

    async def run() -> None:
        nc = await nats.connect(url)
        js = nc.jetstream()
        start = time.perf_counter()
        for i in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            msg_id = f"{tag}-{i}"
            sent[msg_id] = time.perf_counter()
            await js.publish(LOAD, json.dumps({"n": i}).encode(), headers={"Nats-Msg-Id": msg_id})
        await nc.close()

    with Consumer(url) as consumer:
        start = time.perf_counter()
        asyncio.run(run())
        return {**_latencies(sent, consumer), "rate": len(sent) / (time.perf_counter() - start)}


def latency(url: str, rate: float, seconds: float, rounds: int) -> dict[str, Any]:
    runs = []
    first = 10**8
    for r in range(rounds):
        arms = ("product", "bare") if r % 2 == 0 else ("bare", "product")
        result: dict[str, Any] = {"order": arms}
        for arm in arms:
            if arm == "product":
                result[arm] = _product_latency(url, rate, seconds, first)
                first += int(rate * seconds)
            else:
                result[arm] = _bare_latency(url, rate, seconds, f"lat{r}")
        runs.append(result)
        print(json.dumps({"latency_round": r + 1, **result}), file=sys.stderr, flush=True)
    return {"runs": runs}


def worker(parts: list[str], count: int, rounds: int, rate: float, seconds: float) -> dict[str, Any]:
    from yiwang.core import migrations
    from yiwang.settings import get_settings

    s = get_settings()
    migrations.upgrade(s.database_url)
    _define_load_type()
    asyncio.run(_make_stream(s.nats_url))
    out: dict[str, Any] = {}
    if "throughput" in parts:
        out["throughput"] = throughput(s.nats_url, count, rounds)
    if "latency" in parts:
        out["latency"] = latency(s.nats_url, rate, seconds, rounds)
    return out


# --------------------------------------------------------------------------- driver side
class _NatsServer:
    """nats-server with JetStream on a free port and a temporary store, for the run."""

    def __enter__(self) -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self._store = tempfile.TemporaryDirectory(prefix="yiwang_bench_nats_")
        binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
        self._proc = subprocess.Popen([binary, "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", self._store.name],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        return f"nats://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self._proc.terminate()
        self._proc.wait(10)
        self._store.cleanup()


def _range(values: list[float], fmt: str) -> str:
    return f"{format(median(values), fmt)} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def _print_steps(title: str, steps: list[dict[str, Any]]) -> None:
    print(f"\n{title} (medians of the runs' p50 / p99, ms):\n")
    print(table(("cycles", "events a cycle", "claim", "publish → acks", "mark"),
                [(_range([x["cycles"] for x in steps], ",.0f"), _range([x["mean_batch"] for x in steps], ".2f"),
                  *(f"{median(x[k]['p50_ms'] for x in steps):.1f} / {median(x[k]['p99_ms'] for x in steps):.1f}"
                    for k in ("claim", "publish_and_acks", "mark")))]))  # fmt: skip


def report(res: dict[str, Any], args: argparse.Namespace) -> None:
    if "throughput" in res:
        runs = res["throughput"]["runs"]
        product = [r["product"]["events_per_s"] for r in runs]
        bare = [r["bare"]["events_per_s"] for r in runs]
        print(f"\n## outbox → NATS throughput, {args.events:,} events, relay batch {res['throughput']['batch']}, "
              f"median of {len(runs)} (min–max)\n")  # fmt: skip
        print(table(("relay events/s (acked and marked)", "bare publish_async events/s", "ratio", "emit rate (context)"),
                    [(_range(product, ",.0f"), _range(bare, ",.0f"), _range([r["ratio"] for r in runs], ".2f"),
                      _range([r["insert_per_s"] for r in runs], ",.0f"))]))  # fmt: skip
        _print_steps("relay batches in the throughput run", [r["product"]["relay"] for r in runs])
    if "latency" in res:
        runs = res["latency"]["runs"]
        rows = []
        for arm, name in (("product", "commit → consumer (emit, relay)"), ("bare", "js.publish → consumer")):
            rows.append((name, _range([r[arm]["p50_ms"] for r in runs], ".1f"),
                         _range([r[arm]["p99_ms"] for r in runs], ".1f"),
                         _range([r[arm]["max_ms"] for r in runs], ".1f"),
                         _range([r[arm]["rate"] for r in runs], ",.0f"),
                         sum(r[arm]["lost"] for r in runs)))  # fmt: skip
        print(
            f"\n## latency at {args.rate:g} events/s for {args.seconds:g} s, median of {len(runs)} (min–max), ms\n"
        )
        print(table(("path", "p50", "p99", "max", "events/s achieved", "not received"), rows))
        _print_steps("relay cycles in the latency run", [r["product"]["relay"] for r in runs])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=("throughput", "latency"), help="run one of the two")
    ap.add_argument("--events", type=int, default=20_000, help="events per throughput round")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds (>= 5)")
    ap.add_argument("--rate", type=float, default=200.0, help="events/s of the latency run")
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each latency run")
    args = ap.parse_args()
    parts = [args.only] if args.only else ["throughput", "latency"]
    note, cmd = f"{machine_note()}; {source_note()}", command_line()
    print(f"# events → NATS benchmark — {note}\n`{cmd}`")
    with ScratchDB("postgresql", f"events_nats_{os.getpid()}") as url, _NatsServer() as nats_url:
        worker_cmd = [sys.executable, __file__, "_worker", ",".join(parts), str(args.events), str(args.rounds),
                      str(args.rate), str(args.seconds)]  # fmt: skip
        res = run_json(worker_cmd, env_for(url, nats_url=nats_url))
    report(res, args)
    print(
        f"\nraw numbers: {save('events_nats', {'machine': note, 'command': cmd, 'args': vars(args), **res})}"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        w_parts, w_events, w_rounds, w_rate, w_seconds = sys.argv[2:7]
        print(
            json.dumps(
                worker(w_parts.split(","), int(w_events), int(w_rounds), float(w_rate), float(w_seconds))
            )
        )
    else:
        main()
