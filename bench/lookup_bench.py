"""Governed person lookup with audit vs. the same lookup with audit off, same DB, same run.

Two servers (`yiwang serve`) run side by side on one PostgreSQL database seeded with the demo
city: one with YIWANG_AUDIT_ENABLED=true, one with false (its background sealer is parked
with a one-hour interval, so all sealing work lands on the audited server, where it
belongs). The load generator sends authenticated `GET /api/v1/persons/{random id}` with a
client-credentials bearer token; rounds of a fixed length alternate between the two
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
import socket
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
    source_note,
    table,
    thread_load,
    yiwang_cmd,
)

GOVERNED = "/api/v1/persons/"
BARE_PK = "/api/v1/_bench/pk/person/"


def _sql(url: str, query: str) -> Any:
    import psycopg

    with psycopg.connect(libpq_url(url)) as conn:
        row = conn.execute(query).fetchone()
        return row[0] if row and len(row) == 1 else row


def _http() -> Any:
    import httpx2

    return httpx2.Client(timeout=30.0)


def _port_free(port: int) -> None:
    """Refuse a port something already listens on: a server left from an earlier run (uvicorn's
    worker processes outlive a parent killed with SIGKILL) would answer /healthz in place of the
    new one, which exits unable to bind, and the run would measure the old code."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} is already in use (a server left from an earlier run?)")


class Server:
    """`yiwang serve` in its own process group, ended by that group's id on exit."""

    def __init__(
        self, url: str, port: int, workers: int, audit: bool, log: Path, pool: int | None,
        extra: dict[str, Any] | None = None,
    ) -> None:  # fmt: skip
        self.port, self.audit = port, audit
        _port_free(port)
        settings: dict[str, Any] = {"audit_enabled": audit, "token_minutes": 720, "log_level": "WARNING"}
        if not audit:  # the baseline server: no sealing work, and the bare primary-key endpoint
            settings.update(audit_seal_interval=3600, bench_endpoints=True)
        if pool:
            settings["db_pool_size"] = pool
        settings.update(extra or {})
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


def _wrk(base: str, conns: int, seconds: float, max_id: int, token: str, prefix: str) -> dict[str, Any]:
    threads = min(2, conns)
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
           "-s", str(BENCH / "lookup.lua"), base, "--", str(max_id), token, prefix]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    line = next(s for s in reversed(proc.stdout.splitlines()) if s.startswith("{"))
    r = json.loads(line)
    elapsed = r["duration_us"] / 1e6
    return {"requests": r["requests"], "seconds": elapsed, "rps": r["requests"] / elapsed,
            "p50_ms": r["p50_us"] / 1000, "p99_ms": r["p99_us"] / 1000,
            "errors": r["status_errors"] + r["socket_errors"]}  # fmt: skip


def _python_load(
    base: str, conns: int, seconds: float, max_id: int, token: str, prefix: str
) -> dict[str, Any]:
    """`conns` threads, each a keep-alive httpx2 client, sending requests back to back."""
    import httpx2

    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    deadline = time.perf_counter() + seconds

    def run(seed: int) -> None:
        rng = Random(seed)
        mine: list[float] = []
        bad = 0
        with httpx2.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30.0) as c:
            while (start := time.perf_counter()) < deadline:
                status = c.get(f"{prefix}{rng.randint(1, max_id)}").status_code
                mine.append(time.perf_counter() - start)
                bad += status != 200
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    out = thread_load(conns, run, latencies)
    out["errors"] = errors[0]
    return out


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
    ap.add_argument(
        "--seconds", type=float, default=8.0, help="length of one round (wrk has no request count)"
    )
    ap.add_argument(
        "--warmup", type=float, default=3.0, help="seconds of load on each server before measuring"
    )
    ap.add_argument("--settle", type=float, default=1.0, help="seconds between rounds (sealer catches up)")
    ap.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    ap.add_argument("--port", type=int, default=18300, help="first of two ports on 127.0.0.1")
    ap.add_argument("--pool-size", type=int, default=0,
                    help="YIWANG_DB_POOL_SIZE for both servers; 0 = the app's default (10 + 10 overflow; "
                         "before bf577b2 it deadlocked a worker above ~20 connections: docs/benchmarks.md, "
                         "finding A)")  # fmt: skip
    ap.add_argument("--no-pk-baseline", dest="pk_baseline", action="store_false",
                    help="skip the bare primary-key read (/api/v1/_bench/pk, needs YIWANG_BENCH_ENDPOINTS)")  # fmt: skip
    args = ap.parse_args()

    loadgen = args.loadgen if args.loadgen != "auto" else ("wrk" if shutil.which("wrk") else "python")
    load = _wrk if loadgen == "wrk" else _python_load
    note, cmd = f"{machine_note()}; {source_note()}", command_line()
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
        arms = ["on", "off"] + (["pk"] if args.pk_baseline else [])
        for workers in (int(w) for w in args.workers.split(",")):
            with ExitStack() as stack:
                on = stack.enter_context(Server(url, args.port, workers, True, logdir / "yiwang_bench_on.log",
                                                args.pool_size))  # fmt: skip
                off = stack.enter_context(Server(url, args.port + 1, workers, False,
                                                 logdir / "yiwang_bench_off.log", args.pool_size))  # fmt: skip
                on.wait_ready()
                off.wait_ready()
                token = _token(on.base, client["client_id"], client["client_secret"])
                target = {"on": (on, GOVERNED), "off": (off, GOVERNED), "pk": (off, BARE_PK)}
                warm_conns = min(int(c) for c in args.connections.split(","))
                for arm in arms:
                    load(target[arm][0].base, warm_conns, args.warmup, max_id, token, target[arm][1])
                for conns in (int(c) for c in args.connections.split(",")):
                    for r in range(args.rounds):
                        for arm in arms[r % len(arms) :] + arms[: r % len(arms)]:  # each arm leads in turn
                            server, prefix = target[arm]
                            before = _sql(url, "SELECT count(*) FROM audit_record")
                            res = load(server.base, conns, args.seconds, max_id, token, prefix)
                            time.sleep(args.settle)
                            res["audit_rows"] = _sql(url, "SELECT count(*) FROM audit_record") - before
                            res.update(workers=workers, conns=conns, arm=arm, round=r)
                            results["runs"].append(res)
                            print(f"  w={workers} c={conns:>2} round {r + 1} {arm:3} {res['rps']:8.1f} req/s"
                                  f"  p50 {res['p50_ms']:7.1f} ms  p99 {res['p99_ms']:7.1f} ms"
                                  f"  errors {res['errors']}  audit rows +{res['audit_rows']}", flush=True)  # fmt: skip
                time.sleep(args.settle)
                results.setdefault("unsealed_after", {})[workers] = _sql(
                    url, "SELECT count(*) FROM audit_record WHERE chain_seq IS NULL"
                )
    finally:
        if created and not (args.keep_db or args.reuse_db):
            pg_drop(url, args.pg_server)
    report(results)


def _ratio(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> str:
    """Median (min–max) of the per-round throughput ratios a/b."""
    rs = [x["rps"] / y["rps"] if y["rps"] else float("nan") for x, y in zip(a, b, strict=True)]
    return f"{median(rs):.2f}× ({min(rs):.2f}–{max(rs):.2f})"


def report(results: dict[str, Any]) -> None:
    runs = results["runs"]
    rows, lat, scale = [], [], {}
    for key in sorted({(r["workers"], r["conns"]) for r in runs}, key=lambda k: (k[0], -k[1])):
        by = {arm: sorted((r for r in runs if (r["workers"], r["conns"], r["arm"]) == (*key, arm)),
                          key=lambda r: r["round"]) for arm in ("on", "off", "pk")}  # fmt: skip
        on, off, pk = by["on"], by["off"], by["pk"]
        scale[key] = (median(r["rps"] for r in on), median(r["rps"] for r in off))
        audit_ok = all(r["audit_rows"] >= r["requests"] for r in on) and all(
            r["audit_rows"] == 0 for r in off + pk
        )
        rows.append((
            key[0], key[1], _ratio(on, off), _ratio(on, pk) if pk else "–", _ratio(off, pk) if pk else "–",
            len(on), sum(r["errors"] for r in on + off + pk), "yes" if audit_ok else "NO",
        ))  # fmt: skip
        for arm, rs in by.items():
            if rs:
                lat.append((key[0], key[1], arm, median(r["rps"] for r in rs),
                            median(r["p50_ms"] for r in rs), median(r["p99_ms"] for r in rs)))  # fmt: skip
    print(f"\n## GET /api/v1/persons/{{id}} with audit (on) vs without (off) vs bare PK read (pk), "
          f"{results.get('persons', 0):,} persons\n")  # fmt: skip
    print(table(("workers", "conns", "on / off", "on / pk", "off / pk", "rounds", "errors",
                 "1 audit row per request"), rows))  # fmt: skip
    print("\n### medians for context (absolute, noisy)\n")
    print(table(("workers", "conns", "arm", "req/s", "p50 ms", "p99 ms"), lat))
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
