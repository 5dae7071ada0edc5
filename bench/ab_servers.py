"""Interleaved A/B of several servers on the `city` bench database: each arm is a source
tree (an export of a commit), an optional ablation (`bench/ablate`) and a mode of
`exchange_lookup.lua` (lookup, pk, batch); wrk drives one arm at a time, arms alternate
round by round, and each round records req/s, p99, and the CPU per request of the server's
processes and of all PostgreSQL backends (from /proc). The first arm is the baseline.

  git archive HEAD src | tar -x -C /tmp/head
  .venv/bin/python bench/ab_servers.py --rounds 5 --seconds 5 \\
      pk=/tmp/head/src::pk lookup=/tmp/head/src::lookup nowrite=/tmp/head/src:nowrite:lookup

ARM is NAME=SRC:ABLATIONS:MODE; arms with the same SRC and ABLATIONS share a server (keep to
three servers: each holds its pools' connections). Needs `wrk` and the database that
`exchange_bench.py --size city --keep-db` seeds (`--db-name` for another).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _common import BENCH, RESULTS, env_for, median, pg_url
from exchange_bench import _wrk
from lookup_bench import Server, _token

ABLATE = BENCH / "ablate"
CONNECTIONS, BATCH = 32, 100  # as exchange_bench.py


def _cpu(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            continue  # the process ended meanwhile
    return total / os.sysconf("SC_CLK_TCK")


def _pids(match: Any) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if match(int(entry)):
                    out.append(int(entry))
            except OSError:
                continue
    return out


def _postgres(pid: int) -> bool:
    return Path(f"/proc/{pid}/comm").read_text().strip() == "postgres"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("arms", nargs="+", metavar="NAME=SRC:ABLATIONS:MODE")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--db-name", default="yiwang_bench_lookup_city")
    ap.add_argument("--port", type=int, default=18500)
    args = ap.parse_args()
    arms = []
    for spec in args.arms:
        name, _, rest = spec.partition("=")
        src, ablate, mode = rest.split(":")
        arms.append((name, src, ablate, mode))
    url = pg_url(args.db_name)
    RESULTS.mkdir(parents=True, exist_ok=True)
    keys = RESULTS / "ab_keys.tsv"
    setup = json.loads(subprocess.run([sys.executable, str(BENCH / "exchange_bench.py"), "--setup-worker", str(keys), "5000"],
                                      env=env_for(url), capture_output=True, text=True, check=True).stdout.splitlines()[-1])  # fmt: skip
    servers: dict[tuple[str, str], Server] = {}
    try:
        for _name, src, ablate, _mode in arms:
            if (src, ablate) not in servers:
                path = os.pathsep.join([src, str(ABLATE)] if ablate else [src])
                os.environ["PYTHONPATH"], os.environ["YIWANG_ABLATE"] = path, ablate.replace("+", ",")
                servers[(src, ablate)] = Server(url, args.port + len(servers), args.workers, True,
                                                RESULTS / f"ab_server_{len(servers)}.log", None, {"bench_endpoints": True})  # fmt: skip
        for s in servers.values():
            s.wait_ready()
        tokens = {k: _token(s.base, setup["client_id"], setup["client_secret"]) for k, s in servers.items()}
        for _name, src, ablate, mode in arms:  # warm-up
            _wrk(servers[(src, ablate)].base, mode, CONNECTIONS, 2, keys, tokens[(src, ablate)], BATCH)
        runs: dict[str, list[dict[str, float]]] = {a[0]: [] for a in arms}
        for r in range(args.rounds):
            for name, src, ablate, mode in arms[r % len(arms) :] + arms[: r % len(arms)]:
                server = servers[(src, ablate)]
                group = os.getpgid(server.proc.pid)
                mine = _pids(lambda pid, g=group: os.getpgid(pid) == g)
                c0, p0 = _cpu(mine), _cpu(_pids(_postgres))
                res = _wrk(server.base, mode, CONNECTIONS, args.seconds, keys, tokens[(src, ablate)], BATCH)
                c1, p1 = _cpu(mine), _cpu(_pids(_postgres))
                n = res["requests"]
                runs[name].append({"rps": res["rps"], "p99_ms": res["p99_ms"],
                                   "server_ms": (c1 - c0) * 1000 / n, "pg_ms": (p1 - p0) * 1000 / n,
                                   "errors": res["errors"]})  # fmt: skip
                x = runs[name][-1]
                print(f"round {r + 1} {name:10} {x['rps']:7.0f} req/s  server {x['server_ms']:.3f} ms/req  "
                      f"postgres {x['pg_ms']:.3f} ms/req  p99 {x['p99_ms']:.0f} ms  errors {x['errors']}", flush=True)  # fmt: skip
    finally:
        for s in servers.values():
            s.__exit__()
    base = arms[0][0]
    print(
        f"\n| arm | req/s | / {base} (per round) | server CPU ms/req | PostgreSQL CPU ms/req | p99 ms | errors |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, *_ in arms:
        med = {k: median(x[k] for x in runs[name]) for k in ("rps", "server_ms", "pg_ms", "p99_ms")}
        ratio = median(a["rps"] / b["rps"] for a, b in zip(runs[name], runs[base], strict=True))
        print(
            f"| {name} | {med['rps']:,.0f} | {ratio:.2f}× | {med['server_ms']:.2f} | {med['pg_ms']:.2f} | {med['p99_ms']:.0f} | {sum(x['errors'] for x in runs[name]):.0f} |"
        )
    out = RESULTS / f"ab-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"command": sys.argv, "runs": runs}, indent=1))
    print(f"\nraw numbers: {out}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
