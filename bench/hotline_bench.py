"""Intake -> suggested category and department: how long the operator waits, in one process
on a scratch SQLite database with the small demo city (its 12345 data included).

Arms, alternating each round, each over the same --calls messages of the shipped archive
(subject and body of past messages):

  suggest      hotline_classifier.suggest(subject, body) alone                 baseline
  classify     hotline_actions.order_classify: the classifier + the routing table (category x region)
  suggestions  hotline_actions.order_suggestions: classify + open orders of the same place and
               topic + similar past cases with their replies (what the intake page shows)
  api          POST /api/v1/hotline/classify through the app (TestClient, logged in as rexian)
  healthz      GET /healthz through the same client                            floor of the stack

    .venv/bin/python bench/hotline_bench.py            # 5 rounds of 200 calls per arm
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import ROOT, command_line, machine_note, median, save, table


def _messages(n: int) -> list[tuple[str, str]]:
    path = ROOT / "src" / "yiwang" / "contexts" / "workbench" / "data" / "hotline_past_cases.jsonl"
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    return [(r["subject"], r["body"]) for r in rows[:n]]


def _timed(fn: Callable[[str, str], Any], messages: list[tuple[str, str]]) -> list[float]:
    out = []
    for subject, body in messages:
        t0 = time.perf_counter()
        fn(subject, body)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--calls", type=int, default=200)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="yiwang_hotline_bench_"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    os.environ["YIWANG_DATABASE_URL"] = url
    from fastapi.testclient import TestClient

    from yiwang.app import create_app
    from yiwang.contexts import identity, load
    from yiwang.contexts.workbench import hotline_actions as actions
    from yiwang.contexts.workbench.hotline_classifier import suggest
    from yiwang.core import migrations
    from yiwang.core.db import transaction
    from yiwang.demo import seed_demo

    load()
    migrations.upgrade(url)
    seed_demo("small", 2026)
    with transaction() as s:
        who = identity.account(s, "rexian")
    assert who is not None
    from yiwang.core.actor import Actor

    actor = Actor(kind="user", id=who.id, name=who.name, roles=who.roles, region_code=who.region_code,
                  department_id=who.department_id, department_code="330106-government_service")  # fmt: skip
    client = TestClient(create_app(seal_in_background=False))
    logging.disable(logging.INFO)  # the access log of every call is not what is measured
    client.__enter__()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    client.post(
        "/login", data={"username": "rexian", "password": "yiwang-demo", "csrf_token": token.group(1)}
    )
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert csrf
    headers = {"X-CSRF-Token": csrf.group(1)}

    def classify(subject: str, body: str) -> Any:
        with transaction() as s:
            return actions.order_classify(s, actor, subject, body, "330106")

    def suggestions(subject: str, body: str) -> Any:
        with transaction() as s:
            return actions.order_suggestions(s, actor, subject, body, "330106", "")

    def api(subject: str, body: str) -> Any:
        r = client.post(
            "/api/v1/hotline/classify", headers=headers, json={"subject": subject, "body": body[:5000]}
        )
        assert r.status_code == 200, r.text

    def healthz(_subject: str, _body: str) -> Any:
        assert client.get("/healthz").status_code == 200

    arms: dict[str, Callable[[str, str], Any]] = {"suggest": suggest, "classify": classify,
                                                 "suggestions": suggestions, "api": api, "healthz": healthz}  # fmt: skip
    messages = _messages(args.calls)
    for fn in arms.values():  # warm: the model loaded, the statements prepared
        _timed(fn, messages[:20])
    p50: dict[str, list[float]] = {a: [] for a in arms}
    p95: dict[str, list[float]] = {a: [] for a in arms}
    for r in range(args.rounds):
        order = list(arms) if r % 2 == 0 else list(reversed(arms))
        for a in order:
            ms = sorted(_timed(arms[a], messages))
            p50[a].append(statistics.median(ms))
            p95[a].append(ms[int(0.95 * (len(ms) - 1))])
    client.__exit__(None, None, None)
    base50, base95 = median(p50["suggest"]), median(p95["suggest"])
    rows = [(a, f"{median(p50[a]):.2f}", f"{median(p95[a]):.2f}", f"{median(p50[a]) / base50:.2f}x",
             f"{median(p95[a]) / base95:.2f}x") for a in arms]  # fmt: skip
    print(
        f"{command_line()}\n{machine_note()}\n{args.rounds} rounds x {args.calls} messages per arm (medians of rounds)\n"
    )
    print(table(["arm", "p50 ms", "p95 ms", "p50 vs suggest", "p95 vs suggest"], rows))
    api50, h50 = median(p50["api"]), median(p50["healthz"])
    print(f"\nAPI classify vs GET /healthz through the same client: {api50 / h50:.2f}x (p50)")
    save("hotline_bench", {"p50": p50, "p95": p95, "rounds": args.rounds, "calls": args.calls})
    sys.exit(0)


if __name__ == "__main__":
    main()
