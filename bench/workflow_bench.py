"""A workflow transition through the engine (`workflow.transition`: `target` + `fire`) on
PostgreSQL, in one process set up as a server is, vs. a bare write of the same rows.

The process registers its own definition (bench/workflows/bench_case.yaml: a department's
review state with a deadline, a warning and an escalation, like the sharing request's) and
starts --cases cases of it (not timed). Each arm then runs for --seconds on a thread pool of
N threads (the way one worker's request threads share its pool; --threads, e.g. 1,8), each
thread looping over its own slice of the cases, one transaction per transition:

  product     `workflow.transition(s, staff, case, "note", comment=…)` in `transaction()`:
              the case locked (SELECT … FOR UPDATE), the stale-form, state, authz and input
              checks, the timers rewritten, the history row, one audit record, the outbox
              event, commit; the dispatcher thread running (`events_dispatch.start()`, as in
              a server), so the to-do projection runs after each commit in the same process
  nodispatch  the same, the dispatcher handed nothing (an ablation: what dispatch costs)
  bare        the same rows written with plain SQL through the same engine and pool: UPDATE
              workflow_case … RETURNING changes, INSERT workflow_step, audit_record,
              event_outbox (the rows copied from a real transition), commit

Arms rotate each round; after each round (not timed) the product arm waits until the
dispatcher has handled every event (drain time, and each event's lag from its emit to the
projection's handling); then the audit sealer links the round's records (timed apart: a
server's job runner does it in the background). With --hot, all threads of the largest N
also take turns on one case (row lock contention), product vs bare.

    .venv/bin/python bench/workflow_bench.py                          # 1 and 8 threads, 5 rounds
    .venv/bin/python bench/workflow_bench.py --threads 1,4,16 --rounds 7 --seconds 8
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import uuid
from typing import Any

from _common import (
    BENCH,
    ScratchDB,
    command_line,
    env_for,
    machine_note,
    median,
    run_json,
    save,
    source_note,
    table,
)

DEFINITION = BENCH / "workflows" / "bench_case.yaml"
CODE = "bench.case"
OFFICE, OVERSIGHT = 9001, 9002  # department ids: a case's parties are data, no department rows needed
COMMENT = "已电话联系申请人，材料齐全，继续审查"
ARMS = ("product", "nodispatch", "bare")


# --------------------------------------------------------------------------- worker side
def _staff(k: int) -> Any:
    from yiwang.core.actor import Actor

    return Actor(kind="user", id=5000 + k, name=f"压测办理人{k}", roles=frozenset({"dept_staff"}),
                 region_code="330106", department_id=OFFICE, department_code="330106-bench")  # fmt: skip


def _setup(count: int) -> list[int]:
    """Register the definition and start `count` cases (projected into the to-do list inline)."""
    from yiwang.contexts import load as import_contexts
    from yiwang.core import workflow
    from yiwang.core.actor import SYSTEM
    from yiwang.core.db import transaction
    from yiwang.core.workflow_spec import Party

    import_contexts()  # every context's subscribers, as in the server (the to-do projection)
    workflow.register(DEFINITION)
    parties = {"office": Party(department_id=OFFICE, region_code="330106", name="压测办理部门"),
               "oversight": Party(department_id=OVERSIGHT, region_code="330100", name="压测督办部门")}  # fmt: skip
    ids: list[int] = []
    for first in range(0, count, 200):
        with transaction() as s:
            for n in range(first, min(first + 200, count)):
                v = workflow.start(s, SYSTEM, CODE, subject_type="bench_case", subject_id=n,
                                   title=f"压测案件 {n}", url=f"/bench/{n}", parties=parties, region_code="330106")  # fmt: skip
                ids.append(v.id)
    return ids


def _templates(case_id: int) -> dict[str, Any]:
    """One real `note` transition's rows, to write again as the bare arm."""
    from sqlalchemy import text

    from yiwang.core import workflow
    from yiwang.core.db import transaction

    with transaction() as s:
        workflow.transition(s, _staff(0), case_id, "note", comment=COMMENT)
    with transaction() as s:
        one = lambda q: dict(s.execute(text(q), {"c": case_id}).mappings().one())  # noqa: E731
        step = one("SELECT * FROM workflow_step WHERE case_id = :c ORDER BY seq DESC LIMIT 1")
        rec = one("SELECT * FROM audit_record WHERE target_type = 'bench_case' ORDER BY id DESC LIMIT 1")
        event = one(
            "SELECT * FROM event_outbox WHERE type = 'yiwang.bench.case.note' ORDER BY id DESC LIMIT 1"
        )
    return {"step": step, "audit": rec, "event": event}


_UPDATE = ("UPDATE workflow_case SET revision = revision + 1, changes = changes + 1, state_entered_at = :now "
           "WHERE id = :id RETURNING changes")  # fmt: skip
_STEP = ("INSERT INTO workflow_step (case_id, seq, kind, code, label, from_state, to_state, actor, actor_name, "
         "on_behalf_of, at, comment, attachments, detail) VALUES (:case_id, :seq, :kind, :code, :label, :from_state, "
         ":to_state, :actor, :actor_name, NULL, :now, :comment, NULL, NULL)")  # fmt: skip
_AUDIT = ("INSERT INTO audit_record (occurred_at, actor, actor_name, on_behalf_of, action, target_type, target_id, "
          "outcome, purpose, request_id, ip, detail, record_hash) VALUES (:now, :actor, :actor_name, NULL, :action, "
          ":target_type, :target_id, 'ok', NULL, '', '', CAST(:detail AS json), :record_hash)")  # fmt: skip
_EVENT = ("INSERT INTO event_outbox (event_id, type, source, subject, time, data, dispatch_pending, "
          "dispatch_attempts, nats_pending, publish_attempts) VALUES (:event_id, :type, :source, :subject, :now, "
          "CAST(:data AS json), false, 0, false, 0)")  # fmt: skip


def _bare_one(tpl: dict[str, Any], case_id: int) -> None:
    """The bare arm's transition: the same four rows, plain SQL, one transaction."""
    import orjson
    from sqlalchemy import text

    from yiwang.core.db import transaction, utcnow

    step, rec, event = tpl["step"], tpl["audit"], tpl["event"]
    now = utcnow()
    with transaction() as s:
        seq = s.execute(text(_UPDATE), {"id": case_id, "now": now}).scalar_one()
        s.execute(text(_STEP), {**step, "case_id": case_id, "seq": seq, "now": now})
        s.execute(text(_AUDIT), {**rec, "now": now, "target_id": str(case_id),
                                 "detail": orjson.dumps({**rec["detail"], "case": case_id}).decode()})  # fmt: skip
        s.execute(text(_EVENT), {**event, "event_id": str(uuid.uuid4()), "now": now,
                                 "data": orjson.dumps({**event["data"], "case_id": case_id, "changes": seq}).decode()})  # fmt: skip


def _load(threads: int, seconds: float, slices: list[list[int]], step: Any) -> dict[str, Any]:
    """`threads` threads, thread k looping over slices[k], each calling step(k, case id)."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    start_at = time.perf_counter() + 0.05
    deadline = start_at + seconds

    def run(k: int) -> None:
        mine, ids, i = latencies[k], slices[k], 0
        time.sleep(max(0.0, start_at - time.perf_counter()))
        while (t0 := time.perf_counter()) < deadline:
            try:
                step(k, ids[i % len(ids)])
            except Exception as exc:  # counted and shown, not hidden
                errors[k] += 1
                if errors[k] == 1:
                    print(f"thread {k}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            mine.append(time.perf_counter() - t0)
            i += 1

    pool = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start_at
    ms = sorted(x * 1000 for per in latencies for x in per)
    pick = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))] if ms else 0.0  # noqa: E731
    return {"transitions": len(ms), "seconds": elapsed, "per_s": len(ms) / elapsed, "p50_ms": pick(0.5),
            "p99_ms": pick(0.99), "errors": sum(errors)}  # fmt: skip


def _sql(query: str, **params: Any) -> Any:
    from sqlalchemy import text

    from yiwang.core.db import transaction

    with transaction() as s:
        return s.execute(text(query), params).one()


def _drain(after: int, timeout: float = 300.0) -> dict[str, Any]:
    """Wait until the dispatcher has handled every event after `after`; their lag to the projection."""
    t0 = time.perf_counter()
    while _sql("SELECT count(*) FROM event_outbox WHERE dispatch_pending AND id > :a", a=after)[0]:
        if time.perf_counter() - t0 > timeout:
            raise SystemExit("the dispatcher did not catch up")
        time.sleep(0.01)
    drain = time.perf_counter() - t0
    row = _sql("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lag), percentile_cont(0.99) WITHIN GROUP "
               "(ORDER BY lag), max(lag), count(*) FROM (SELECT extract(epoch FROM h.handled_at - o.time) * 1000 AS lag "
               "FROM event_outbox o JOIN event_handled h ON h.event_seq = o.id AND h.consumer = 'workbench.todo' "
               "WHERE o.id > :a) x", a=after)  # fmt: skip
    return {"drain_s": drain, "lag_p50_ms": float(row[0] or 0), "lag_p99_ms": float(row[1] or 0),
            "lag_max_ms": float(row[2] or 0), "projected": int(row[3])}  # fmt: skip


def _seal() -> dict[str, float]:
    from yiwang.core.audit_sealer import seal_all

    rows = _sql("SELECT count(*) FROM audit_record WHERE chain_seq IS NULL")[0]
    t0 = time.perf_counter()
    seal_all()
    return {"sealed": rows, "seal_s": time.perf_counter() - t0}


def _arm(
    arm: str, threads: int, seconds: float, slices: list[list[int]], tpl: dict[str, Any]
) -> dict[str, Any]:
    from yiwang.core import events_dispatch, workflow

    after = _sql("SELECT coalesce(max(id), 0) FROM event_outbox")[0]
    staff = [_staff(k) for k in range(threads)]
    if arm == "bare":
        out = _load(threads, seconds, slices, lambda k, c: _bare_one(tpl, c))
    else:

        def step(k: int, case_id: int) -> None:
            from yiwang.core.db import transaction

            with transaction() as s:
                workflow.transition(s, staff[k], case_id, "note", comment=COMMENT)

        real = events_dispatch.committed
        if arm == "nodispatch":
            events_dispatch.committed = lambda seqs: None  # type: ignore[assignment]
        try:
            out = _load(threads, seconds, slices, step)
        finally:
            events_dispatch.committed = real  # type: ignore[assignment]
        if arm == "product":
            out.update(_drain(after))
            out["with_projection_per_s"] = out["transitions"] / (out["seconds"] + out["drain_s"])
        else:  # left undispatched: off the work list, so that no later dispatch picks them up
            _sql("WITH u AS (UPDATE event_outbox SET dispatch_pending = false WHERE id > :a AND dispatch_pending "
                 "RETURNING 1) SELECT count(*) FROM u", a=after)  # fmt: skip
    out.update(_seal())
    return out


def worker(n_cases: int, threads_list: list[int], rounds: int, seconds: float, hot: bool) -> dict[str, Any]:
    from yiwang.app import _freeze_startup_objects
    from yiwang.core import events_dispatch, migrations
    from yiwang.settings import get_settings

    migrations.upgrade(get_settings().database_url)
    t0 = time.perf_counter()
    ids = _setup(n_cases)
    setup_s = time.perf_counter() - t0
    tpl = _templates(ids[0])
    _freeze_startup_objects()  # the server's GC settings (gc.freeze, young threshold 5,000)
    events_dispatch.start()
    out: dict[str, Any] = {"cases": len(ids), "setup_s": setup_s, "runs": {}, "hot": {}}
    try:
        for threads in threads_list:
            slices = [ids[k::threads] for k in range(threads)]
            for arm in ARMS:  # warm-up: connections, statement caches, the projection's first rows
                _arm(arm, threads, min(2.0, seconds), slices, tpl)
            runs = []
            for r in range(rounds):
                order = ARMS[r % 3 :] + ARMS[: r % 3]
                if r % 2:
                    order = order[::-1]
                result: dict[str, Any] = {"order": order}
                for arm in order:
                    result[arm] = _arm(arm, threads, seconds, slices, tpl)
                runs.append(result)
                print(json.dumps({"threads": threads, "round": r + 1, **result}), file=sys.stderr, flush=True)
            out["runs"][str(threads)] = runs
        if hot:
            threads = max(threads_list)
            one = [[ids[-1]] for _ in range(threads)]
            runs = []
            for r in range(rounds):
                order = ("product", "bare") if r % 2 == 0 else ("bare", "product")
                runs.append({arm: _arm(arm, threads, seconds / 2, one, tpl) for arm in order})
                print(json.dumps({"hot": threads, "round": r + 1, **runs[-1]}), file=sys.stderr, flush=True)
            out["hot"] = {"threads": threads, "runs": runs}
    finally:
        events_dispatch.stop()
    return out


# --------------------------------------------------------------------------- driver side
def _range(values: list[float], fmt: str) -> str:
    return f"{format(median(values), fmt)} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def report(res: dict[str, Any], args: argparse.Namespace) -> None:
    print(f"\n{res['cases']:,} cases started in {res['setup_s']:.1f} s (context only)")
    for threads, runs in res["runs"].items():
        print(f"\n## {threads} thread(s), {args.seconds:g} s an arm, median of {len(runs)} (min–max)\n")
        rows = []
        for arm in ARMS:
            per_s = [r[arm]["per_s"] for r in runs]
            ratio = [r[arm]["per_s"] / r["bare"]["per_s"] for r in runs]
            rows.append((arm, _range(per_s, ",.0f"), _range(ratio, ".2f"), _range([r[arm]["p50_ms"] for r in runs], ".1f"),
                         _range([r[arm]["p99_ms"] for r in runs], ".1f"), sum(r[arm]["errors"] for r in runs),
                         _range([r[arm]["seal_s"] * 1e6 / max(1, r[arm]["sealed"]) for r in runs], ",.0f")))  # fmt: skip
        print(table(("arm", "transitions/s", "/ bare", "p50 ms", "p99 ms", "errors", "sealing µs/record (after)"),
                    rows))  # fmt: skip
        p = [r["product"] for r in runs]
        print(f"\nproduct, to-do projection: drain after the window {_range([x['drain_s'] * 1000 for x in p], ',.0f')} ms; "
              f"emit → handled lag p50 {_range([x['lag_p50_ms'] for x in p], ',.0f')} ms, "
              f"p99 {_range([x['lag_p99_ms'] for x in p], ',.0f')} ms; transitions/s until projected "
              f"{_range([x['with_projection_per_s'] for x in p], ',.0f')}")  # fmt: skip
    if res["hot"]:
        runs = res["hot"]["runs"]
        print(f"\n## one hot case, {res['hot']['threads']} threads, median of {len(runs)} (min–max)\n")
        print(table(("arm", "transitions/s", "/ bare", "p99 ms"),
                    [(arm, _range([r[arm]["per_s"] for r in runs], ",.0f"),
                      _range([r[arm]["per_s"] / r["bare"]["per_s"] for r in runs], ".2f"),
                      _range([r[arm]["p99_ms"] for r in runs], ".1f")) for arm in ("product", "bare")]))  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=2000, help="cases started before the runs")
    ap.add_argument("--threads", default="1,8", help="comma-separated thread-pool sizes")
    ap.add_argument("--rounds", type=int, default=5, help="rounds, arms rotating (>= 5)")
    ap.add_argument("--seconds", type=float, default=5.0, help="length of each arm's run")
    ap.add_argument("--no-hot", dest="hot", action="store_false", help="skip the one-hot-case runs")
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    note, cmd = f"{machine_note()}; {source_note()}", command_line()
    print(f"# workflow transition benchmark — {note}\n`{cmd}`", flush=True)
    with ScratchDB("postgresql", f"workflow_{os.getpid()}") as url:
        worker_cmd = [sys.executable, __file__, "_worker", str(args.cases), args.threads, str(args.rounds),
                      str(args.seconds), "1" if args.hot else "0"]  # fmt: skip
        res = run_json(worker_cmd, env_for(url, audit_seal_interval=3600))
    report(res, args)
    assert threads
    print(f"\nraw numbers: {save('workflow', {'machine': note, 'command': cmd, 'args': vars(args), **res})}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        w_cases, w_threads, w_rounds, w_seconds, w_hot = sys.argv[2:7]
        print(json.dumps(worker(int(w_cases), [int(t) for t in w_threads.split(",")], int(w_rounds),
                                float(w_seconds), w_hot == "1")))  # fmt: skip
    else:
        main()
