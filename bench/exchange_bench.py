"""Governed exchange lookup vs. a bare primary-key read of the same rows, same server, same run.

One `yiwang serve` (audit on, YIWANG_BENCH_ENDPOINTS=true, the app's default pool unless
--pool-size) on a PostgreSQL database seeded with the demo city (which also seeds the
exchange source tables). A department's API client (330100-real_estate, huge client rate
limit) holds a grant on 户籍人口信息 (330100-GA-0001) for the whole city (row scope 330100,
daily quota 10,000,000, two fields masked), set up with `exchange.actions.request_create` +
`request_approve` as SYSTEM. A few thousand identity numbers are decrypted from
src_household into a file that `bench/exchange_lookup.lua` reads. Arms, rotating every round:

  lookup   GET  /api/v1/exchange/resources/330100-GA-0001/records/{identity number}
           (authz + grant + read plan + masking + nonce + quota + usage log + audit per subject),
           X-User, X-Case-Id and a unique X-Request-Nonce per request
  pk       GET  /api/v1/_bench/pk/src_household/{id}: the same rows, same server, pool and
           unit of work, no governance (the baseline)
  batch    POST …/batch with --batch distinct keys per call (keys/s vs lookup's keys/s)
  noaudit  the lookup on a second server with YIWANG_AUDIT_ENABLED=false (usage log still
           written): what the per-subject audit records cost (--no-noaudit to skip)

Every round checks: no errors, one usage-log row per answered governed call (>=: calls in
flight when wrk stops are answered and logged after it), at least one audit row per answered
lookup (batch: per key) on the audited server and none elsewhere. While a round runs,
pg_stat_activity of the database is sampled (wait events of active backends) to show where
the server's connections wait.

    .venv/bin/python bench/exchange_bench.py --size city --keep-db
    .venv/bin/python bench/exchange_bench.py --db-name yiwang_bench_lookup_city --reuse-db
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from random import Random
from typing import Any
from urllib.parse import quote

from _common import (
    BENCH,
    PG_SERVER,
    RESULTS,
    command_line,
    env_for,
    libpq_url,
    machine_note,
    median,
    pg_drop,
    save,
    source_note,
    table,
    thread_load,
)
from lookup_bench import Server, _sql, _token, prepare_db

RESOURCE = "330100-GA-0001"
CONSUMER = "330100-real_estate"
FIELDS = ["id_number", "name", "gender", "birth_date", "household_no", "relation", "address"]
MASKED = ["name", "birth_date"]
X_USER = quote("窗口人员 性能测试")


def setup_worker(keys_file: str, n_keys: int) -> None:
    """Run inside a subprocess with YIWANG_DATABASE_URL set: client, grant, identity numbers."""
    from datetime import date, timedelta

    from sqlalchemy import text

    from yiwang.contexts.exchange import actions
    from yiwang.contexts.exchange.schemas import ApproveIn, RequestIn
    from yiwang.contexts.identity.actions_access import client_create
    from yiwang.core import crypto
    from yiwang.core.actor import SYSTEM, Actor
    from yiwang.core.db import transaction

    with transaction() as s:
        dept = int(s.execute(text("SELECT id FROM department WHERE code = :c"), {"c": CONSUMER}).scalar_one())
        staff = Actor(kind="user", id=0, name="性能测试 不动产", roles=frozenset({"dept_staff"}),
                      region_code="330100", department_id=dept, department_code=CONSUMER)  # fmt: skip
        req = actions.request_create(s, staff, RequestIn(
            resource_code=RESOURCE, fields=FIELDS, purpose="办理不动产登记核验户籍信息（性能测试）",
            legal_basis="《不动产登记暂行条例》", row_scope="330100",
            valid_to=date.today() + timedelta(days=30), daily_quota=10_000_000,
        ))  # fmt: skip
        grant_id = (
            req.grant_id
            or actions.request_approve(s, SYSTEM, req.id, ApproveIn(masked_fields=MASKED)).grant_id
        )
        client, secret = client_create(s, SYSTEM, "不动产 业务系统（性能测试）", ["exchange", "identity"],
                                       "330100", CONSUMER, 2_000_000_000)  # fmt: skip
        rows = s.execute(text("SELECT id, id_number_enc, id_number_idx FROM src_household "
                              "WHERE region_code LIKE '3301%' AND id_number_enc IS NOT NULL "
                              "ORDER BY random() LIMIT :n"), {"n": n_keys}).all()  # fmt: skip
        client_id = client.client_id
    with open(keys_file, "w") as f:
        for row_id, enc, idx in rows:
            f.write(f"{crypto.decrypt(enc, idx.encode())}\t{row_id}\n")
    print(
        json.dumps({"grant_id": grant_id, "client_id": client_id, "client_secret": secret, "keys": len(rows)})
    )


def _wrk(
    base: str, mode: str, conns: int, seconds: float, keys: Path, token: str, batch: int
) -> dict[str, Any]:
    run_id = f"{time.time_ns():x}"
    cmd = ["wrk", f"-t{min(2, conns)}", f"-c{conns}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
           "-s", str(BENCH / "exchange_lookup.lua"), base, "--", mode, str(keys), token, run_id, str(batch),
           X_USER]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    r = json.loads(next(s for s in reversed(proc.stdout.splitlines()) if s.startswith("{")))
    elapsed = r["duration_us"] / 1e6
    per_call = batch if mode == "batch" else 1
    return {"requests": r["requests"], "seconds": elapsed, "rps": r["requests"] / elapsed,
            "keys_per_s": r["requests"] * per_call / elapsed, "p50_ms": r["p50_us"] / 1000,
            "p99_ms": r["p99_us"] / 1000, "errors": r["status_errors"] + r["socket_errors"]}  # fmt: skip


def _python_batch(
    base: str, _mode: str, conns: int, seconds: float, keys: Path, token: str, batch: int
) -> dict[str, Any]:
    """The batch arm from `conns` threads (keep-alive httpx2 clients). Unlike wrk, a thread
    finishes its call in flight before it stops, so no call is cut off at the end of a round
    (a governed call whose client disconnected could leave its transaction open: finding D,
    fixed since; the checks count calls answered after wrk stopped)."""
    import httpx2

    numbers = [line.split("\t", 1)[0] for line in keys.read_text().splitlines() if line]
    run_id, path = f"{time.time_ns():x}", f"/api/v1/exchange/resources/{RESOURCE}/batch"
    lock, latencies, errors = threading.Lock(), list[float](), [0]
    deadline = time.perf_counter() + seconds

    def run(no: int) -> None:
        rng, mine, bad, n = Random(f"{run_id}-{no}"), list[float](), 0, 0
        hdrs = {"Authorization": f"Bearer {token}", "X-User": X_USER, "X-Case-Id": f"BENCH-{run_id}"}
        with httpx2.Client(base_url=base, headers=hdrs, timeout=30.0) as c:
            while (start := time.perf_counter()) < deadline:
                n += 1
                first = rng.randrange(len(numbers))
                picked = [numbers[(first + i) % len(numbers)] for i in range(batch)]
                nonce = f"{run_id}-{no}-{n}-{rng.getrandbits(24):06x}"
                status = c.post(path, json={"keys": picked}, headers={"X-Request-Nonce": nonce}).status_code
                mine.append(time.perf_counter() - start)
                bad += status != 200
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    out = thread_load(conns, run, latencies)
    out["errors"] = errors[0]
    out["keys_per_s"] = out["requests"] * batch / out["seconds"]
    return out


class WaitSampler:
    """Samples wait events of the database's active backends every `period` s while it runs."""

    def __init__(self, url: str, period: float = 0.25) -> None:
        self.url, self.period, self.counts, self.samples = url, period, Counter[str](), 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psycopg

        db = self.url.rsplit("/", 1)[1]
        q = ("SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU/running'), count(*) "
             "FROM pg_stat_activity WHERE datname = %s AND state = 'active' AND pid <> pg_backend_pid() "
             "GROUP BY 1")  # fmt: skip
        with psycopg.connect(libpq_url(self.url), autocommit=True) as conn:
            while not self._stop.wait(self.period):
                for event, n in conn.execute(q, (db,)).fetchall():
                    self.counts[event] += n
                self.samples += 1

    def __enter__(self) -> WaitSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _sealed(url: str, timeout: float = 120.0) -> float:
    """Wait until the audit sealer has linked every row an arm left behind (a batch arm leaves
    ~25,000), so that the next arm is not measured while the server seals the previous one's
    rows; returns the seconds waited after the settle."""
    start = time.perf_counter()
    while _sql(url, "SELECT count(*) FROM audit_record WHERE chain_seq IS NULL") and \
            time.perf_counter() - start < timeout:  # fmt: skip
        time.sleep(0.2)
    return round(time.perf_counter() - start, 2)


def _counts(url: str) -> tuple[int, int, int]:
    row = _sql(url, "SELECT (SELECT count(*) FROM usage_log), (SELECT count(*) FROM audit_record), "
                    "(SELECT count(*) FROM usage_log WHERE status <> 200)")  # fmt: skip
    return int(row[0]), int(row[1]), int(row[2])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="city", help="demo city size to seed (small, district, city)")
    ap.add_argument("--db-name", help="database name (default yiwang_bench_lookup_<size>)")
    ap.add_argument("--reuse-db", action="store_true", help="use the database if it exists (implies keep)")
    ap.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    ap.add_argument("--drop-db", action="store_true", help="drop the database at the end, even a reused one")
    ap.add_argument("--pg-server", default=PG_SERVER)
    ap.add_argument("--workers", type=int, default=1, help="uvicorn workers per server")
    ap.add_argument("--connections", default="32", help="comma-separated concurrent connections")
    ap.add_argument("--rounds", type=int, default=5, help="rounds per arm and setting (arms rotate)")
    ap.add_argument("--seconds", type=float, default=8.0, help="length of one round")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds of load per arm before measuring")
    ap.add_argument("--settle", type=float, default=1.0, help="seconds between rounds")
    ap.add_argument("--keys", type=int, default=5000, help="identity numbers decrypted for the load")
    ap.add_argument("--batch", type=int, default=100, help="keys per batch call")
    ap.add_argument("--pool-size", type=int, default=0, help="YIWANG_DB_POOL_SIZE; 0 = the app's default")
    ap.add_argument("--no-noaudit", dest="noaudit", action="store_false",
                    help="skip the second server with YIWANG_AUDIT_ENABLED=false")  # fmt: skip
    ap.add_argument("--batch-loadgen", choices=("python", "wrk"), default="wrk",
                    help="load generator of the batch arm: wrk, as the lookup arm it is compared with "
                         "(python: 32 threads of httpx2, 0.38 core of a 2-core machine at ~110 calls/s)")  # fmt: skip
    ap.add_argument("--port", type=int, default=18310, help="first of two ports on 127.0.0.1")
    ap.add_argument("--setup-worker", nargs=2, metavar=("KEYS_FILE", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.setup_worker:
        setup_worker(args.setup_worker[0], int(args.setup_worker[1]))
        return

    note, cmd = f"{machine_note()}; {source_note()}", command_line()
    print(f"# exchange benchmark — {note}\n`{cmd}`\n", flush=True)
    url, created = prepare_db(args)
    results: dict[str, Any] = {"machine": note, "command": cmd, "args": vars(args), "runs": []}
    tmp = tempfile.TemporaryDirectory(prefix="yiwang_bench_")
    keys = Path(tmp.name) / "keys.tsv"
    try:
        out = subprocess.run([sys.executable, __file__, "--setup-worker", str(keys), str(args.keys)],
                             env=env_for(url), capture_output=True, text=True, check=True).stdout  # fmt: skip
        setup = json.loads(out.strip().splitlines()[-1])
        results["setup"] = {k: v for k, v in setup.items() if k != "client_secret"}
        results["src_household_rows"] = _sql(url, "SELECT count(*) FROM src_household")
        print(f"grant {setup['grant_id']}, {setup['keys']:,} keys of "
              f"{results['src_household_rows']:,} src_household rows", flush=True)  # fmt: skip
        RESULTS.mkdir(parents=True, exist_ok=True)
        with ExitStack() as stack:
            on = stack.enter_context(Server(url, args.port, args.workers, True, RESULTS / "yiwang_bench_exch_on.log",
                                            args.pool_size, {"bench_endpoints": True}))  # fmt: skip
            servers = {"on": on}
            if args.noaudit:
                servers["off"] = stack.enter_context(Server(url, args.port + 1, args.workers, False,
                                                            RESULTS / "yiwang_bench_exch_off.log", args.pool_size))  # fmt: skip
            for s in servers.values():
                s.wait_ready()
            token = _token(on.base, setup["client_id"], setup["client_secret"])
            target = {"lookup": (on, "lookup"), "pk": (on, "pk"), "batch": (on, "batch")}
            if args.noaudit:
                target["noaudit"] = (servers["off"], "lookup")
            arms = list(target)
            warm = min(int(c) for c in args.connections.split(","))
            load = {
                "lookup": _wrk,
                "pk": _wrk,
                "batch": _python_batch if args.batch_loadgen == "python" else _wrk,
            }
            for arm in arms:
                load[target[arm][1]](
                    target[arm][0].base, target[arm][1], warm, args.warmup, keys, token, args.batch
                )
            for conns in (int(c) for c in args.connections.split(",")):
                for r in range(args.rounds):
                    for arm in arms[r % len(arms) :] + arms[: r % len(arms)]:  # each arm leads in turn
                        server, mode = target[arm]
                        usage0, audit0, _ = _counts(url)
                        with WaitSampler(url) as waits:
                            res = load[mode](server.base, mode, conns, args.seconds, keys, token, args.batch)
                        time.sleep(args.settle)
                        res["sealing_s"] = _sealed(url)
                        usage1, audit1, _ = _counts(url)
                        res.update(usage_rows=usage1 - usage0, audit_rows=audit1 - audit0, conns=conns, arm=arm,
                                   round=r, waits=dict(waits.counts), wait_samples=waits.samples)  # fmt: skip
                        results["runs"].append(res)
                        print(f"  c={conns:>2} round {r + 1} {arm:7} {res['rps']:8.1f} req/s "
                              f"{res['keys_per_s']:8.1f} keys/s  p50 {res['p50_ms']:7.1f} ms  "
                              f"p99 {res['p99_ms']:7.1f} ms  errors {res['errors']}  usage +{res['usage_rows']}"
                              f"  audit +{res['audit_rows']}", flush=True)  # fmt: skip
            time.sleep(args.settle)
        results["refused_calls"] = _counts(url)[2]
        results["unsealed_after"] = _sql(url, "SELECT count(*) FROM audit_record WHERE chain_seq IS NULL")
    finally:
        tmp.cleanup()
        if args.drop_db or (created and not (args.keep_db or args.reuse_db)):
            pg_drop(url, args.pg_server)
    report(results)


def _ratio(a: list[dict[str, Any]], b: list[dict[str, Any]], key: str = "rps") -> str:
    """Median (min–max) of the per-round ratios a/b."""
    rs = [x[key] / y[key] if y[key] else float("nan") for x, y in zip(a, b, strict=True)]
    return f"{median(rs):.2f}× ({min(rs):.2f}–{max(rs):.2f})"


def _checks(arm: str, runs: list[dict[str, Any]], batch: int) -> bool:
    for r in runs:
        governed = arm in ("lookup", "batch", "noaudit")
        per_call = batch if arm == "batch" else 1
        ok = r["errors"] == 0 and (r["usage_rows"] >= r["requests"] if governed else r["usage_rows"] == 0)
        ok &= (
            r["audit_rows"] >= r["requests"] * per_call
            if arm in ("lookup", "batch")
            else r["audit_rows"] == 0
        )
        if not ok:
            return False
    return True


def report(results: dict[str, Any]) -> None:
    runs, batch = results["runs"], results["args"]["batch"]
    rows, lat, waits = [], [], []
    for conns in sorted({r["conns"] for r in runs}, reverse=True):
        by = {arm: sorted((r for r in runs if (r["conns"], r["arm"]) == (conns, arm)), key=lambda r: r["round"])
              for arm in ("lookup", "pk", "batch", "noaudit")}  # fmt: skip
        lk, pk, bt, na = by["lookup"], by["pk"], by["batch"], by["noaudit"]
        rows.append((
            conns, _ratio(lk, pk), f"{median(r['p99_ms'] for r in lk):.0f} ms",
            _ratio(bt, lk, "keys_per_s") if bt else "–", _ratio(lk, na) if na else "–", len(lk),
            "yes" if all(_checks(a, rs, batch) for a, rs in by.items()) else "NO",
        ))  # fmt: skip
        for arm, rs in by.items():
            if not rs:
                continue
            lat.append((conns, arm, median(r["rps"] for r in rs), median(r["keys_per_s"] for r in rs),
                        median(r["p50_ms"] for r in rs), median(r["p99_ms"] for r in rs)))  # fmt: skip
            total = Counter[str]()
            for r in rs:
                total.update(r["waits"])
            samples = sum(r["wait_samples"] for r in rs) or 1
            top = ", ".join(f"{e} {n / samples:.1f}" for e, n in total.most_common(4))
            waits.append((conns, arm, top))
    print(
        f"\n## governed exchange lookup vs bare PK read, {results.get('src_household_rows', 0):,} src_household rows\n"
    )
    print(table(("conns", "lookup / pk req/s (≥ 0.8)", "lookup p99 (≤ 100 ms)", f"batch {batch} / lookup keys/s (≥ 20)",
                 "lookup / lookup audit off", "rounds", "checks"), rows))  # fmt: skip
    print("\n### medians for context (absolute, noisy)\n")
    print(table(("conns", "arm", "req/s", "keys/s", "p50 ms", "p99 ms"), lat))
    print("\n### average active backends per pg_stat_activity sample, by wait event\n")
    print(table(("conns", "arm", "wait events"), waits))
    print(f"\nrefused governed calls in usage_log: {results.get('refused_calls')}; "
          f"unsealed audit rows at the end: {results.get('unsealed_after')}")  # fmt: skip
    print(f"raw numbers: {save('exchange', results)}")


if __name__ == "__main__":
    sys.exit(main())
