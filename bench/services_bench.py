"""一网通办 through the API on PostgreSQL, one uvicorn worker: an application submitted and taken
through 4 transitions (受理, 审查通过, 准予, 办结) by HTTP, vs. the same rows written with raw
psycopg SQL (no SQLAlchemy, no app), in the same run.

  product  `yiwang serve --workers 1`; --clients threads, each logged in as the demo citizen
           and as the civil-affairs clerk (session cookies, CSRF header); one application =
           POST /api/v1/services/applications (Idempotency-Key) + 4 POST …/steps/{code}: 5
           requests, 5 transactions, each with its audit record, history row, outbox event
           (the dispatcher, to-do projection and notifications run in the server as usual)
  raw      the same number of threads, one psycopg connection each; one application = 5
           transactions writing the rows a real application wrote (copied from one:
           service_application, workflow_case, workflow_step, audit_record, event_outbox)

Arms alternate for --rounds rounds of --seconds each; the figure is the median of the rounds.

    .venv/bin/python bench/services_bench.py                    # 5 rounds x 10 s, 8 clients
    .venv/bin/python bench/services_bench.py --rounds 7 --clients 16
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

from _common import (
    RESULTS,
    ScratchDB,
    command_line,
    env_for,
    libpq_url,
    machine_note,
    median,
    save,
    table,
    yiwang_cmd,
)
from lookup_bench import Server, _http

ITEM = "200002001000"  # 婚姻登记记录证明: every material shared, nothing to upload
STEPS = ("accept", "review", "decide", "complete")
PASSWORD = "yiwang-demo"  # noqa: S105  (the demo logins' published password)


def _login(base: str, username: str) -> tuple[Any, str]:
    c = _http()
    page = c.get(base + "/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = c.post(base + "/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert r.status_code in (200, 303), r.text[:300]
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get(base + "/").text).group(1)  # type: ignore[union-attr]
    return c, token


def _form() -> dict[str, str]:
    from yiwang.contexts.identity.demo import generate_city

    p = generate_city("small", 2026).citizen_demo
    return {
        "name": p.name,
        "id_number": p.id_number,
        "phone": "13800001234",
        "address": "杭州市西湖区文三路 1 号",
    }


def _product_one(base: str, citizen: tuple[Any, str], staff: tuple[Any, str], form: dict[str, str]) -> None:
    (cc, ct), (sc, st) = citizen, staff
    r = cc.post(base + "/api/v1/services/applications", json={"item_code": ITEM, "form": form},
                headers={"X-CSRF-Token": ct, "Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
    if r.status_code != 201:
        raise RuntimeError(f"submit {r.status_code}: {r.text[:200]}")
    app_id = r.json()["id"]
    for code in STEPS:
        r = sc.post(
            f"{base}/api/v1/services/applications/{app_id}/steps/{code}",
            json={},
            headers={"X-CSRF-Token": st},
        )
        if r.status_code != 200:
            raise RuntimeError(f"{code} {r.status_code}: {r.text[:200]}")


def _templates(dsn: str) -> dict[str, Any]:
    """The rows one real application wrote, to copy in the raw arm."""
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        a = conn.execute("SELECT * FROM service_application ORDER BY id DESC LIMIT 1").fetchone()
        case = conn.execute("SELECT * FROM workflow_case WHERE subject_type = 'service_application' AND subject_id = %s",
                            (str(a["id"]),)).fetchone()  # fmt: skip
        steps = conn.execute(
            "SELECT * FROM workflow_step WHERE case_id = %s ORDER BY seq", (case["id"],)
        ).fetchall()
        audits = conn.execute("SELECT * FROM audit_record WHERE target_type = 'service_application' AND target_id = %s "
                              "ORDER BY id", (str(a["id"]),)).fetchall()  # fmt: skip
        events = conn.execute("SELECT * FROM event_outbox WHERE subject = %s ORDER BY id",
                              (f"application/{a['id']}",)).fetchall()  # fmt: skip
    assert len(steps) == 5 and len(audits) == 5 and len(events) == 5, (len(steps), len(audits), len(events))
    return {"application": a, "case": case, "steps": steps, "audits": audits, "events": events}


def _insert(conn: Any, table_name: str, row: dict[str, Any], **over: Any) -> Any:
    from psycopg.types.json import Json

    values = {k: v for k, v in {**row, **over}.items() if k != "id"}
    for k, v in values.items():
        if isinstance(v, dict | list):
            values[k] = Json(v)
    cols = ", ".join(values)
    marks = ", ".join(f"%({k})s" for k in values)
    return conn.execute(
        f"INSERT INTO {table_name} ({cols}) VALUES ({marks}) RETURNING id", values
    ).fetchone()[0]


def _raw_one(conn: Any, tpl: dict[str, Any]) -> None:
    from datetime import UTC, datetime

    now, key = datetime.now(UTC), uuid.uuid4().hex
    with conn.transaction():
        app_id = _insert(conn, "service_application", tpl["application"], number=f"B{key[:20]}", idempotency_key=key,
                         status="submitted", created_at=now, updated_at=now)  # fmt: skip
        case_id = _insert(conn, "workflow_case", tpl["case"], subject_id=str(app_id), state="submitted", revision=0,
                          changes=1, closed_at=None, created_at=now)  # fmt: skip
        _insert(conn, "workflow_step", tpl["steps"][0], case_id=case_id, at=now)
        _insert(
            conn,
            "audit_record",
            tpl["audits"][0],
            target_id=str(app_id),
            occurred_at=now,
            chain_seq=None,
            chain_hash=None,
        )
        _insert(conn, "event_outbox", tpl["events"][0], event_id=str(uuid.uuid4()), subject=f"application/{app_id}",
                time=now, dispatch_pending=False, nats_pending=False)  # fmt: skip
    for i in range(1, 5):
        step, rec, event = tpl["steps"][i], tpl["audits"][i], tpl["events"][i]
        with conn.transaction():
            conn.execute("SELECT id FROM workflow_case WHERE id = %s FOR UPDATE", (case_id,))
            conn.execute("UPDATE workflow_case SET state = %s, revision = revision + 1, changes = changes + 1, "
                         "state_entered_at = %s WHERE id = %s", (step["to_state"], now, case_id))  # fmt: skip
            conn.execute("UPDATE service_application SET status = %s, updated_at = %s WHERE id = %s",
                         (step["to_state"], now, app_id))  # fmt: skip
            _insert(conn, "workflow_step", step, case_id=case_id, at=now)
            _insert(
                conn,
                "audit_record",
                rec,
                target_id=str(app_id),
                occurred_at=now,
                chain_seq=None,
                chain_hash=None,
            )
            _insert(conn, "event_outbox", event, event_id=str(uuid.uuid4()), subject=f"application/{app_id}",
                    time=now, dispatch_pending=False, nats_pending=False)  # fmt: skip


def _run(threads: int, seconds: float, make: Any) -> dict[str, float]:
    """`threads` threads each looping `one()` from make(k) for `seconds`; applications per second."""
    done, errors = [0] * threads, [0] * threads
    workers = [make(k) for k in range(threads)]
    start = time.perf_counter() + 0.05
    deadline = start + seconds

    def loop(k: int) -> None:
        time.sleep(max(0.0, start - time.perf_counter()))
        while time.perf_counter() < deadline:
            try:
                workers[k]()
                done[k] += 1
            except Exception as exc:  # counted and shown, not hidden
                errors[k] += 1
                if errors[k] == 1:
                    print(f"thread {k}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)

    ts = [threading.Thread(target=loop, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return {"per_s": sum(done) / seconds, "errors": float(sum(errors))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--port", type=int, default=8731)
    args = ap.parse_args()
    import psycopg

    with ScratchDB("postgresql", "yiwang_bench_services") as url:
        env = env_for(url)
        for cmd in (["db", "upgrade"], ["demo", "seed", "--size", "small"]):
            subprocess.run([*yiwang_cmd(), *cmd], env=env, check=True, stdout=subprocess.DEVNULL)
        from sqlalchemy import create_engine, text

        eng = create_engine(url)
        with eng.connect() as c:
            staff = c.execute(text("SELECT u.username FROM user_account u JOIN department d ON d.id = u.department_id "
                                   "WHERE d.code = '330106-civil_affairs' AND u.roles LIKE '%dept_staff%' "
                                   "ORDER BY u.id LIMIT 1")).scalar_one()  # fmt: skip
        eng.dispose()
        form, dsn = _form(), libpq_url(url)
        RESULTS.mkdir(parents=True, exist_ok=True)
        rounds: dict[str, list[float]] = {"product": [], "raw": []}
        errors = 0.0
        with Server(url, args.port, 1, True, RESULTS / "services_bench_server.log", None) as srv:
            srv.wait_ready()
            sessions = [(_login(srv.base, "citizen"), _login(srv.base, staff)) for _ in range(args.clients)]
            _product_one(srv.base, *sessions[0], form)  # warm up, and the rows the raw arm copies
            tpl = _templates(dsn)
            conns = [psycopg.connect(dsn, autocommit=True) for _ in range(args.clients)]
            for r in range(args.rounds):
                for arm in ("product", "raw") if r % 2 == 0 else ("raw", "product"):
                    if arm == "product":
                        out = _run(args.clients, args.seconds,
                                   lambda k: lambda: _product_one(srv.base, *sessions[k], form))  # fmt: skip
                    else:
                        out = _run(args.clients, args.seconds, lambda k: lambda: _raw_one(conns[k], tpl))
                    rounds[arm].append(out["per_s"])
                    errors += out["errors"]
                    print(f"round {r + 1} {arm}: {out['per_s']:.1f} applications/s ({out['errors']:.0f} errors)",
                          flush=True)  # fmt: skip
            for c in conns:
                c.close()
    p, raw = median(rounds["product"]), median(rounds["raw"])
    print(table(["arm", "applications/s (median)", "rounds"],
                [["product (HTTP, 1 worker)", p, len(rounds["product"])], ["raw psycopg SQL", raw, len(rounds["raw"])]]))  # fmt: skip
    print(f"ratio product/raw: {p / raw:.3f}; errors: {errors:.0f}")
    print(machine_note())
    print(save("services", {"rounds": rounds, "ratio": p / raw, "errors": errors, "command": command_line()}))


if __name__ == "__main__":
    main()
