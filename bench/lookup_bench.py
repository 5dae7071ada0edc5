"""Governed person lookup with audit vs. the same lookup with audit off, same DB, same run.

Two servers (`yiwang serve`) run side by side on one PostgreSQL database seeded with the demo
city: one with YIWANG_AUDIT_ENABLED=true, one with false (its background sealer is parked
with a one-hour interval, so all sealing work lands on the audited server, where it
belongs). The load generator sends authenticated `GET /api/v1/persons/{random id}` with a
client-credentials bearer token; rounds of a fixed request count alternate between the two
servers (ABBA order), and every round checks that the audited server wrote exactly one audit
row per request and the other none. Reported: median throughput ratio audit-on / audit-off
and p50/p99 latency per concurrency and worker count.

Load comes from `wrk` (Debian package; script bench/lookup.lua) when installed, otherwise
from a threaded httpx2 client (heavier: it competes with the servers for the CPUs).

    .venv/bin/python bench/lookup_bench.py                          # district data, 1 worker
    .venv/bin/python bench/lookup_bench.py --size city --workers 1,2 --keep-db
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from contextlib import ExitStack, suppress
from pathlib import Path
from random import Random
from typing import Any

from _common import (
    BENCH,
    PG_SERVER,
    RESULTS,
    command_line,
    env_for,
    libpq_url,
    machine_note,
    median,
    pg_create,
    pg_drop,
    pg_exists,
    pg_url,
    save,
    table,
    yiwang_cmd,
)


def _sql(url: str, query: str) -> Any:
    import psycopg

    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute(query).fetchone()
        return row[0] if row and len(row) == 1 else row


def _http() -> Any:
    import httpx2

    return httpx2.Client(timeout=30.0)


class Server:
    """`yiwang serve` in its own process group, ended by that group's id on exit."""

    def __init__(self, url: str, port: int, workers: int, audit: bool, log: Path) -> None:
        self.port, self.audit = port, audit
        settings: dict[str, Any] = {"audit_enabled": audit, "token_minutes": 720, "log_level": "WARNING"}
        if not audit:
            settings["audit_seal_interval"] = 3600
        self._log = log.open("w")
        self.proc = subprocess.Popen(
            [*yiwang_cmd(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            env=env_for(url, **settings), stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.base = f"http://127.0.0.1:{port}"

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        with _http() as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise SystemExit(f"server on port {self.port} exited; see {self._log.name}")
                with suppress(Exception):  # not listening yet
                    if client.get(self.base + "/healthz").status_code == 200:
                        return
                time.sleep(0.3)
        raise SystemExit(f"server on port {self.port} not ready after {timeout:.0f} s")

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()


def _wrk(base: str, conns: int, requests: int, max_id: int, token: str) -> dict[str, Any]:
    threads = min(2, conns)
    per_thread = max(1, requests // threads)
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", "-d600s", "--timeout", "30s", "-s", str(BENCH / "lookup.lua"),
           base, "--", str(max_id), str(per_thread), token]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    line = next(s for s in reversed(proc.stdout.splitlines()) if s.startswith("{"))
    r = json.loads(line)
    seconds = r["duration_us"] / 1e6
    return {"requests": r["requests"], "seconds": seconds, "rps": r["requests"] / seconds,
            "p50_ms": r["p50_us"] / 1000, "p99_ms": r["p99_us"] / 1000,
            "errors": r["status_errors"] + r["socket_errors"]}  # fmt: skip


def _python_load(base: str, conns: int, requests: int, max_id: int, token: str) -> dict[str, Any]:
    import httpx2

    lock = threading.Lock()
    remaining = [requests]
    latencies: list[float] = []
    errors = [0]

    def run(seed: int) -> None:
        rng = Random(seed)
        headers = {"Authorization": f"Bearer {token}"}
        mine: list[float] = []
        with httpx2.Client(base_url=base, headers=headers, timeout=30.0) as client:
            while True:
                with lock:
                    if remaining[0] <= 0:
                        break
                    remaining[0] -= 1
                start = time.perf_counter()
                status = client.get(f"/api/v1/persons/{rng.randint(1, max_id)}").status_code
                mine.append(time.perf_counter() - start)
                if status != 200:
                    with lock:
                        errors[0] += 1
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(conns)]
    start = time.perf_counter()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    seconds = time.perf_counter() - start
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return {"requests": len(latencies), "seconds": seconds, "rps": len(latencies) / seconds,
            "p50_ms": pick(0.50), "p99_ms": pick(0.99), "errors": errors[0]}  # fmt: skip


def _token(base: str, client_id: str, secret: str) -> str:
    with _http() as client:
        resp = client.post(base + "/api/v1/oauth/token",
                           data={"grant_type": "client_credentials", "client_id": client_id,
                                 "client_secret": secret})  # fmt: skip
        resp.raise_for_status()
        return str(resp.json()["access_token"])


def prepare_db(args: argparse.Namespace) -> tuple[str, bool]:
    """The seeded database's URL, and whether this run created it."""
    name = args.db_name or f"yiwang_bench_lookup_{args.size}"
    url = pg_url(name, args.pg_server)
    if args.reuse_db and pg_exists(url, args.pg_server):
        print(f"reusing {name}", flush=True)
        return url, False
    pg_create(name, args.pg_server)
    print(f"seeding {name} with the '{args.size}' city …", flush=True)
    start = time.perf_counter()
    subprocess.run([*yiwang_cmd(), "demo", "seed", "--size", args.size], env=env_for(url), check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    print(f"seeded in {time.perf_counter() - start:.0f} s", flush=True)
    return url, True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="district", help="demo city size to seed (small, district, city)")
    ap.add_argument("--db-name", help="database name (default yiwang_bench_lookup_<size>)")
    ap.add_argument("--reuse-db", action="store_true", help="use the database if it exists (implies keep)")
    ap.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    ap.add_argument("--pg-server", default=PG_SERVER)
    ap.add_argument("--workers", default="1", help="comma-separated uvicorn worker counts, e.g. 1,2")
    ap.add_argument("--connections", default="32,1", help="comma-separated concurrent connections")
    ap.add_argument("--rounds", type=int, default=5, help="rounds per server and setting (ABBA order)")
    ap.add_argument("--requests", type=int, default=4000, help="requests per round (concurrency > 1)")
    ap.add_argument("--requests-c1", type=int, default=1000, help="requests per round at 1 connection")
    ap.add_argument("--warmup", type=int, default=500, help="requests sent to each server before measuring")
    ap.add_argument("--settle", type=float, default=1.0, help="seconds between rounds (sealer catches up)")
    ap.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    ap.add_argument("--port", type=int, default=18300, help="first of two ports on 127.0.0.1")
    args = ap.parse_args()

    loadgen = args.loadgen if args.loadgen != "auto" else ("wrk" if shutil.which("wrk") else "python")
    load = _wrk if loadgen == "wrk" else _python_load
    note, cmd = machine_note(), command_line()
    print(f"# lookup benchmark — {note}\n`{cmd}` (load: {loadgen})\n", flush=True)
    url, created = prepare_db(args)
    results: dict[str, Any] = {"machine": note, "command": cmd, "args": vars(args), "loadgen": loadgen,
                               "runs": []}  # fmt: skip
    try:
        out = subprocess.run([*yiwang_cmd(), "client", "create", "bench-lookup", "--scopes", "identity",
                              "--region", "330100", "--rate", "2000000000"], env=env_for(url),
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
        client = json.loads(out.strip().splitlines()[-1])
        max_id, persons = _sql(url, "SELECT max(id), count(*) FROM person")
        results["persons"] = persons
        print(f"{persons:,} persons, ids 1..{max_id}", flush=True)
        logdir = RESULTS
        logdir.mkdir(parents=True, exist_ok=True)
        for workers in (int(w) for w in args.workers.split(",")):
            with ExitStack() as stack:
                on = stack.enter_context(
                    Server(url, args.port, workers, True, logdir / "yiwang_bench_on.log")
                )
                off = stack.enter_context(Server(url, args.port + 1, workers, False,
                                                 logdir / "yiwang_bench_off.log"))  # fmt: skip
                on.wait_ready()
                off.wait_ready()
                token = _token(on.base, client["client_id"], client["client_secret"])
                for server in (on, off):
                    load(server.base, 32, args.warmup, max_id, token)
                for conns in (int(c) for c in args.connections.split(",")):
                    n = args.requests if conns > 1 else args.requests_c1
                    for r in range(args.rounds):
                        for server in (on, off) if r % 2 == 0 else (off, on):
                            before = _sql(url, "SELECT count(*) FROM audit_record")
                            res = load(server.base, conns, n, max_id, token)
                            time.sleep(args.settle)
                            res["audit_rows"] = _sql(url, "SELECT count(*) FROM audit_record") - before
                            res.update(workers=workers, conns=conns, audit=server.audit, round=r)
                            results["runs"].append(res)
                            print(f"  w={workers} c={conns:>2} round {r + 1} audit={'on ' if server.audit else 'off'}"
                                  f" {res['rps']:8.1f} req/s  p50 {res['p50_ms']:6.1f} ms  p99 {res['p99_ms']:6.1f} ms"
                                  f"  errors {res['errors']}  audit rows +{res['audit_rows']}", flush=True)  # fmt: skip
                time.sleep(args.settle)
                results.setdefault("unsealed_after", {})[workers] = _sql(
                    url, "SELECT count(*) FROM audit_record WHERE chain_seq IS NULL"
                )
    finally:
        if created and not (args.keep_db or args.reuse_db):
            pg_drop(url, args.pg_server)
    report(results)


def report(results: dict[str, Any]) -> None:
    runs = results["runs"]
    rows, scale = [], {}
    for key in sorted({(r["workers"], r["conns"]) for r in runs}, key=lambda k: (k[0], -k[1])):
        on = [r for r in runs if (r["workers"], r["conns"]) == key and r["audit"]]
        off = [r for r in runs if (r["workers"], r["conns"]) == key and not r["audit"]]
        ratios = [a["rps"] / b["rps"] for a, b in zip(sorted(on, key=lambda r: r["round"]),
                                                      sorted(off, key=lambda r: r["round"]), strict=True)]  # fmt: skip
        m_on, m_off = median(r["rps"] for r in on), median(r["rps"] for r in off)
        scale[key] = (m_on, m_off)
        bad = sum(r["errors"] for r in on + off)
        audit_ok = all(r["audit_rows"] >= r["requests"] for r in on) and all(
            r["audit_rows"] == 0 for r in off
        )
        rows.append((
            key[0], key[1], f"{median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f})",
            f"{m_on:,.0f} / {m_off:,.0f}",
            f"{median(r['p50_ms'] for r in on):.1f} / {median(r['p50_ms'] for r in off):.1f}",
            f"{median(r['p99_ms'] for r in on):.1f} / {median(r['p99_ms'] for r in off):.1f}",
            len(ratios), bad, "yes" if audit_ok else "NO",
        ))  # fmt: skip
    print(f"\n## audit on / audit off, GET /api/v1/persons/{{id}}, {results.get('persons', 0):,} persons\n")
    print(table(("workers", "conns", "throughput ratio on/off (min–max)", "req/s on / off",
                 "p50 ms on / off", "p99 ms on / off", "rounds", "errors", "1 audit row per request"),
                rows))  # fmt: skip
    scal = []
    for w in sorted({k[0] for k in scale}):
        conns = sorted(c for ww, c in scale if ww == w)
        if len(conns) > 1:
            lo, hi = conns[0], conns[-1]
            on_x, off_x = scale[(w, hi)][0] / scale[(w, lo)][0], scale[(w, hi)][1] / scale[(w, lo)][1]
            scal.append((w, f"{lo} → {hi}", f"{on_x:.2f}×", f"{off_x:.2f}×", f"{on_x / off_x:.2f}"))
    if scal:
        print("\n## does audit serialise requests? throughput gained by adding connections\n")
        print(table(("workers", "connections", "audit on", "audit off", "on gain / off gain"), scal))
    print(f"\nunsealed audit rows after each worker setting: {results.get('unsealed_after')}")
    print(f"raw numbers: {save('lookup', results)}")


if __name__ == "__main__":
    sys.exit(main())
