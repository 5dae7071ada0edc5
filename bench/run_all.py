"""Run every benchmark (`make bench`). Defaults finish in roughly twenty-five minutes on 2 cores;
--full repeats the configuration recorded in docs/benchmarks.md (about an hour).

    .venv/bin/python bench/run_all.py                 # quick: 50k-person slice, district lookup
    .venv/bin/python bench/run_all.py --full          # as in docs/benchmarks.md
    .venv/bin/python bench/run_all.py --only lookup --rounds 7
    .venv/bin/python bench/run_all.py --only exchange
    .venv/bin/python bench/run_all.py --only workflow
    .venv/bin/python bench/run_all.py --only todo
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from _common import BENCH


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--only", choices=("seed", "lookup", "exchange", "workflow", "todo"), help="run one benchmark"
    )
    ap.add_argument("--full", action="store_true", help="the configuration recorded in docs/benchmarks.md")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds per measurement (>= 5)")
    args = ap.parse_args()

    rounds = ["--rounds", str(args.rounds)]
    if args.full:
        seed = ["--persons", "200000", "--phases", "--profile", "--full-city", *rounds]
        size, lookup = "city", ["--workers", "1", "--connections", "32,1", *rounds]
    else:
        seed = ["--persons", "50000", "--phases", *rounds]
        size, lookup = "district", ["--workers", "1", "--connections", "32,1", *rounds]
    # lookup and exchange share one seeded database: lookup keeps it when exchange follows,
    # exchange reuses it (or seeds it) and drops it at the end
    both = args.only is None
    lookup = ["--size", size, *lookup, *(["--keep-db"] if both else [])]
    exchange = ["--size", size, "--connections", "32", "--reuse-db", "--drop-db", *rounds]
    quick = [] if args.full else ["--seconds", "3"]
    plan = [
        ("seed", BENCH / "seed_bench.py", seed),
        ("lookup", BENCH / "lookup_bench.py", lookup),
        ("exchange", BENCH / "exchange_bench.py", exchange),
        ("workflow", BENCH / "workflow_bench.py", [*rounds, *quick]),
        (
            "todo",
            BENCH / "todo_bench.py",
            [*rounds, *([] if args.full else ["--seconds", "2", "--warmup", "1"])],
        ),
    ]
    status = 0
    for name, script, extra in plan:
        if args.only and name != args.only:
            continue
        print(f"\n===== {name}: {script.name} {' '.join(extra)}", flush=True)
        status |= subprocess.run([sys.executable, str(script), *extra], check=False).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
