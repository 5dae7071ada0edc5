"""The to-do page (`GET /workbench/tasks`) of a member of staff whose department has 10,000
open tasks, on a real `yiwang serve` (one worker unless --workers, PostgreSQL), logged in
through the form.

Set-up (not timed; --keep-db / --reuse-db keep it for the next run): the small demo city,
then --tasks sharing requests of 西湖区不动产登记中心 (budongchan) for 杭州市民政局's marriage
records, each through `exchange.request_create` (its case started on the engine, the to-do
rows projected from the events), so that minzheng's department has that many open tasks;
--overdue of them moved past their deadline and the engine's timers fired (overdue mark,
escalation to the data bureau), --supervised of them under a leader's 督办; and 50 requests
for the household register, so that s0001 (市公安局) has one page of tasks.

Load: --clients threads, each a keep-alive httpx2 client with the session cookie, sending
the next request when the last is answered, for --seconds an arm; arms rotate each round.

  tasks      /workbench/tasks as minzheng (10,000 tasks)       the figure
  overdue    /workbench/tasks?due=overdue                       filtered
  supervised /workbench/tasks?supervised=true                   filtered
  page50     /workbench/tasks?page=50                           deep page
  tasks50    /workbench/tasks as s0001 (50 tasks: the same 50 rows, the same forms)   baseline
  healthz    /healthz                                           floor of the stack

    .venv/bin/python bench/todo_bench.py                            # 1 and 4 clients, 5 rounds
    .venv/bin/python bench/todo_bench.py --keep-db                  # then: --reuse-db
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from typing import Any

from _common import (
    PG_SERVER,
    RESULTS,
    command_line,
    env_for,
    machine_note,
    median,
    pg_create,
    pg_drop,
    pg_exists,
    pg_url,
    save,
    source_note,
    table,
)
from lookup_bench import Server, _sql

MARRIAGE, HOUSEHOLD = "330100-MZ-0001", "330100-GA-0001"
BIG_USER, SMALL_USER, CONSUMER, LEADER = "minzheng", "s0001", "budongchan", "leader"
ARMS = {  # arm -> (user, path, expected total on the page)
    "tasks": (BIG_USER, "/workbench/tasks", "tasks"),
    "overdue": (BIG_USER, "/workbench/tasks?due=overdue", "overdue"),
    "supervised": (BIG_USER, "/workbench/tasks?supervised=true", "supervised"),
    "page50": (BIG_USER, "/workbench/tasks?page=50", "tasks"),
    "tasks50": (SMALL_USER, "/workbench/tasks", "small"),
    "healthz": (BIG_USER, "/healthz", ""),
}


# --------------------------------------------------------------------------- set-up worker
def _actor(username: str) -> Any:
    from yiwang.contexts.identity import repository
    from yiwang.contexts.identity.authn import actor_for_user
    from yiwang.core.db import transaction

    with transaction() as s:
        user = repository.user_by_name(s, username)
        assert user is not None, username
        return actor_for_user(s, user)


def _requests(resource: str, fields: list[str], count: int) -> list[int]:
    """`count` sharing requests through the exchange's own action, 200 a transaction."""
    from yiwang.contexts.exchange import actions
    from yiwang.contexts.exchange.schemas import RequestIn
    from yiwang.core.db import transaction

    consumer, ids = _actor(CONSUMER), []
    for first in range(0, count, 200):
        with transaction() as s:
            for n in range(first, min(first + 200, count)):
                out = actions.request_create(s, consumer, RequestIn(
                    resource_code=resource, fields=fields, purpose=f"办理不动产转移登记时核验婚姻状况（第 {n + 1} 件）",
                    legal_basis="《不动产登记暂行条例实施细则》第十条", valid_to=date.today() + timedelta(days=365)))  # fmt: skip
                assert out.case_id is not None
                ids.append(out.case_id)
    return ids


def _overdue(case_ids: list[int]) -> int:
    """Move these cases past their deadline and let the engine's timers fire (as
    tests/workflow_helpers.make_overdue does for one)."""
    from sqlalchemy import text

    from yiwang.core import workflow_timers
    from yiwang.core.db import transaction, utcnow

    past = utcnow() - timedelta(days=2)
    with transaction() as s:
        p = {"p": past, "ids": case_ids}
        s.execute(text("UPDATE workflow_case SET due_at = :p WHERE id = ANY(:ids)"), p)
        s.execute(
            text("UPDATE workflow_timer SET due_at = :p WHERE case_id = ANY(:ids) AND kind != 'warning'"), p
        )
        s.execute(text("DELETE FROM workflow_timer WHERE case_id = ANY(:ids) AND kind = 'warning'"), p)
    fired = 0
    while n := workflow_timers.run_timers():
        fired += n
    return fired


def _supervise(case_ids: list[int]) -> None:
    from yiwang.contexts.workbench import actions
    from yiwang.core.db import transaction

    leader = _actor(LEADER)
    for first in range(0, len(case_ids), 100):
        with transaction() as s:
            for c in case_ids[first : first + 100]:
                actions.case_supervise(s, leader, c, "请加快办理并反馈进展", date.today() + timedelta(days=7))


def setup_worker(tasks: int, overdue: int, supervised: int) -> dict[str, Any]:
    from yiwang.contexts import load as import_contexts
    from yiwang.core import migrations
    from yiwang.core.db import analyze
    from yiwang.demo import seed_demo
    from yiwang.settings import get_settings

    migrations.upgrade(get_settings().database_url)
    import_contexts()
    times: dict[str, float] = {}
    t = time.perf_counter()
    seed_demo("small", 2026)
    times["demo_s"] = time.perf_counter() - t
    t = time.perf_counter()
    big = _requests(MARRIAGE, ["id_number", "name", "marital_status"], tasks)
    _requests(HOUSEHOLD, ["id_number", "name", "address"], 50)
    times["requests_s"] = time.perf_counter() - t
    t = time.perf_counter()
    fired = _overdue(big[:overdue])
    times["overdue_s"] = time.perf_counter() - t
    t = time.perf_counter()
    _supervise(big[tasks // 2 : tasks // 2 + supervised])
    times["supervise_s"] = time.perf_counter() - t
    analyze(
        "task", "workflow_case", "workflow_step", "workflow_timer", "workflow_supervision", "sharing_request"
    )
    from yiwang.core.audit_sealer import seal_all

    seal_all()  # the set-up's audit records, linked now rather than by the server while it is measured
    return {"times": times, "timers_fired": fired}


# --------------------------------------------------------------------------- driver side
def prepare_db(args: argparse.Namespace) -> tuple[str, bool]:
    url = pg_url(args.db_name, args.pg_server)
    if args.reuse_db and pg_exists(url, args.pg_server):
        print(f"reusing {args.db_name}", flush=True)
        return url, False
    pg_create(args.db_name, args.pg_server)
    print(f"seeding {args.db_name}: demo city, {args.tasks:,} + 50 sharing requests …", flush=True)
    t = time.perf_counter()
    cmd = [sys.executable, __file__, "_setup", str(args.tasks), str(args.overdue), str(args.supervised)]
    proc = subprocess.run(cmd, env=env_for(url), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-4000:])
        raise SystemExit("set-up failed")
    print(f"seeded in {time.perf_counter() - t:.0f} s: {proc.stdout.strip().splitlines()[-1]}", flush=True)
    return url, True


def _login(base: str, username: str) -> dict[str, str]:
    """The session cookie, from the real login form (CSRF token and cookie included)."""
    import httpx2

    from yiwang.contexts.identity.demo.logins import DEMO_PASSWORD

    with httpx2.Client(base_url=base, timeout=30.0) as c:
        page = c.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text[:300]
        r = c.post(
            "/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token.group(1)}
        )
        assert r.status_code == 303, (r.status_code, r.text[:300])
        return dict(c.cookies.items())


def _load(
    base: str, cookies: dict[str, str], path: str, clients: int, seconds: float, expect: str
) -> dict[str, Any]:
    import httpx2

    latencies: list[list[float]] = [[] for _ in range(clients)]
    bad = [0] * clients
    start_at = time.perf_counter() + 0.05
    deadline = start_at + seconds

    def run(k: int) -> None:
        mine = latencies[k]
        with httpx2.Client(base_url=base, cookies=cookies, timeout=30.0) as c:
            time.sleep(max(0.0, start_at - time.perf_counter()))
            while (t0 := time.perf_counter()) < deadline:
                r = c.get(path)
                mine.append(time.perf_counter() - t0)
                bad[k] += r.status_code != 200 or (expect not in r.text)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start_at
    ms = sorted(x * 1000 for per in latencies for x in per)

    def pick(q: float) -> float:
        return ms[min(len(ms) - 1, int(q * len(ms)))] if ms else 0.0

    return {"requests": len(ms), "rps": len(ms) / elapsed, "p50_ms": pick(0.5), "p95_ms": pick(0.95),
            "p99_ms": pick(0.99), "errors": sum(bad)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", type=int, default=10_000, help="open tasks of the big department")
    ap.add_argument("--overdue", type=int, default=1000, help="of them past their deadline")
    ap.add_argument("--supervised", type=int, default=200, help="of them under 督办")
    ap.add_argument("--clients", default="1,4", help="comma-separated concurrent clients")
    ap.add_argument("--rounds", type=int, default=5, help="rounds, arms rotating (>= 5)")
    ap.add_argument("--seconds", type=float, default=4.0, help="length of one arm's run")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds of load on each arm before measuring")
    ap.add_argument("--arms", default=",".join(ARMS), help=f"comma-separated subset of {', '.join(ARMS)}")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes of the server")
    ap.add_argument("--port", type=int, default=18410)
    ap.add_argument("--pg-server", default=PG_SERVER)
    ap.add_argument("--db-name", default="yiwang_bench_todo")
    ap.add_argument("--reuse-db", action="store_true", help="use the database if it exists (implies keep)")
    ap.add_argument("--keep-db", action="store_true", help="do not drop the database at the end")
    args = ap.parse_args()
    arms = args.arms.split(",")
    import httpx2

    note, cmd = f"{machine_note()}; {source_note()}", command_line()
    print(f"# to-do page benchmark — {note}\n`{cmd}`\n", flush=True)
    url, created = prepare_db(args)
    totals = {"tasks": _sql(url, "SELECT count(*) FROM task t JOIN user_account u ON u.username = 'minzheng' "
                                 "WHERE t.status = 'open' AND t.assignee_department_id = u.department_id")}  # fmt: skip
    results: dict[str, Any] = {
        "machine": note,
        "command": cmd,
        "args": vars(args),
        "totals": totals,
        "runs": [],
    }
    try:
        RESULTS.mkdir(parents=True, exist_ok=True)
        with Server(url, args.port, args.workers, True, RESULTS / "yiwang_bench_todo.log", None) as server:
            server.wait_ready()
            cookies = {BIG_USER: _login(server.base, BIG_USER), SMALL_USER: _login(server.base, SMALL_USER)}
            expect = {"": ""}
            for key, arm in (("tasks", "tasks"), ("overdue", "overdue"), ("supervised", "supervised"),
                             ("small", "tasks50")):  # fmt: skip
                user, path, _ = ARMS[arm]
                page = httpx2.get(server.base + path, cookies=cookies[user], timeout=60.0).text
                found = re.search(r"共 ([\d,]+) 件", page)
                assert found, page[:500]
                expect[key] = found.group(0)
                totals[key] = int(found.group(1).replace(",", ""))
                totals[f"{arm}_bytes"] = len(page.encode())
            print(f"lists: {totals}", flush=True)
            for arm in arms:
                user, path, key = ARMS[arm]
                _load(server.base, cookies[user], path, 1, args.warmup, expect[key])
            for clients in (int(c) for c in args.clients.split(",")):
                for r in range(args.rounds):
                    order = arms[r % len(arms) :] + arms[: r % len(arms)]
                    for arm in order if r % 2 == 0 else order[::-1]:
                        user, path, key = ARMS[arm]
                        res = _load(server.base, cookies[user], path, clients, args.seconds, expect[key])
                        res.update(arm=arm, clients=clients, round=r)
                        results["runs"].append(res)
                        print(f"  c={clients} round {r + 1} {arm:10} {res['rps']:7.1f} req/s  p50 {res['p50_ms']:6.1f}"
                              f"  p95 {res['p95_ms']:6.1f}  p99 {res['p99_ms']:6.1f} ms  errors {res['errors']}",
                              flush=True)  # fmt: skip
    finally:
        if created and not (args.keep_db or args.reuse_db):
            pg_drop(url, args.pg_server)
    report(results, arms)
    print(f"\nraw numbers: {save('todo', results)}")


def _range(values: list[float], fmt: str = ",.1f") -> str:
    return f"{format(median(values), fmt)} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def report(results: dict[str, Any], arms: list[str]) -> None:
    runs = results["runs"]
    for clients in sorted({r["clients"] for r in runs}):
        mine = [r for r in runs if r["clients"] == clients]
        by = {a: [r for r in mine if r["arm"] == a] for a in arms}
        base = {r["round"]: r for r in by.get("tasks50", [])}
        print(f"\n## {clients} client(s), median of {len(by[arms[0]])} rounds (min–max), ms\n")
        rows = []
        for a in arms:
            ratio = [r["p95_ms"] / base[r["round"]]["p95_ms"] for r in by[a] if r["round"] in base]
            rows.append((a, ARMS[a][1], _range([r["p50_ms"] for r in by[a]]), _range([r["p95_ms"] for r in by[a]]),
                         _range([r["p99_ms"] for r in by[a]]), _range(ratio, ".2f") if ratio else "–",
                         _range([r["rps"] for r in by[a]]), sum(r["errors"] for r in by[a])))  # fmt: skip
        print(table(("arm", "path", "p50", "p95", "p99", "p95 / tasks50 p95", "req/s", "errors"), rows))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_setup":
        print(json.dumps(setup_worker(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))))
    else:
        main()
