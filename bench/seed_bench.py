"""Demo-city seed vs. a bare load of the same rows through the same fastest path.

Ratio (slice): the product's person path — `core.progress.load_resumable` over the first N
persons of the `city` generator with seed_city's writer: generation + AES-GCM + blind indexes
+ 5,000-row batches each committed with its progress row, through `bulk_insert` — against a bare load of the *same* N
pre-built tuples (built before the clock starts) in ONE transaction: psycopg3
`cursor.copy` on PostgreSQL, `executemany` on the raw sqlite3 connection. Both go into a
fresh database migrated to head with the regions loaded (same table, indexes and foreign
keys). Each measurement is its own process on its own fresh database; product and bare
alternate (ABBA) for --rounds rounds.

Breakdown (--phases): in one process, generation, `person_tuple` (crypto) and the bare
insert timed one after another, no profiler.

Absolute (--full-city): `yiwang demo seed --size city` once per database, wall clock of the
whole command (migrations, organisation, persons, enterprises, accounts, ANALYZE).

    .venv/bin/python bench/seed_bench.py                       # 50k persons, 5 rounds, both DBs
    .venv/bin/python bench/seed_bench.py --persons 200000 --phases --full-city
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import subprocess
import sys
import time
from itertools import islice
from typing import Any

from _common import (
    ScratchDB,
    command_line,
    env_for,
    libpq_url,
    machine_note,
    median,
    run_json,
    save,
    source_note,
    table,
    yiwang_cmd,
)

SEED = 2026


# --------------------------------------------------------------------------- worker side
def _prepare(size: str) -> tuple[Any, Any]:
    """Migrate the (fresh) database of YIWANG_DATABASE_URL and load the organisation."""
    from yiwang.contexts.identity import seed
    from yiwang.contexts.identity.demo import generate_city
    from yiwang.core import migrations
    from yiwang.settings import get_settings

    migrations.upgrade(get_settings().database_url)
    city = generate_city(size, SEED)
    seed._organisation(city, seed.SeedReport(size))
    return city, seed


def _bare_insert(url: str, table_name: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> float:
    """One transaction through the driver's fastest path; returns seconds."""
    cols = ", ".join(columns)
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(libpq_url(url)) as conn:
            start = time.perf_counter()
            with conn.cursor() as cur, cur.copy(f"COPY {table_name} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            conn.commit()
            return time.perf_counter() - start
    import sqlite3

    conn = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):  # as core.db
        conn.execute(f"PRAGMA {pragma}")
    marks = ", ".join("?" for _ in columns)
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(f"INSERT INTO {table_name} ({cols}) VALUES ({marks})", rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def worker(mode: str, size: str, persons: int, profile: bool) -> dict[str, Any]:
    from yiwang.core.db import utcnow
    from yiwang.settings import get_settings

    url = get_settings().database_url
    city, seed = _prepare(size)
    now = utcnow()
    table_name, columns = "person", tuple(seed.PERSON_COLUMNS)

    if mode == "product":
        from yiwang.core.db import bulk_insert
        from yiwang.core.progress import load_resumable

        loaded = [0]

        def write(s: Any, chunk: list[Any]) -> None:  # as seed_city's write_persons
            bulk_insert(s, table_name, columns, [seed.person_tuple(p, now) for p in chunk])

        def run() -> None:
            loaded[0] = load_resumable(f"{size}:{SEED}:persons", islice(city.persons(), persons), write)

        prof = cProfile.Profile() if profile else None
        start = time.perf_counter()
        if prof:
            prof.runcall(run)
        else:
            run()
        seconds = time.perf_counter() - start
        out: dict[str, Any] = {"seconds": seconds, "rows": loaded[0]}
        if prof:
            buf = io.StringIO()
            pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(25)
            out["profile"] = buf.getvalue()
        return out

    t0 = time.perf_counter()
    rows = list(islice(city.persons(), persons))
    t1 = time.perf_counter()
    tuples = [seed.person_tuple(p, now) for p in rows]
    t2 = time.perf_counter()
    insert = _bare_insert(url, table_name, columns, tuples)
    if mode == "bare":
        return {"seconds": insert, "rows": len(tuples)}
    return {"generate": t1 - t0, "crypto": t2 - t1, "insert": insert, "rows": len(tuples)}


# --------------------------------------------------------------------------- driver side
def _measure(
    kind: str, mode: str, size: str, persons: int, tag: str, profile: bool = False, src: str | None = None
) -> dict[str, Any]:
    with ScratchDB(kind, f"seed_{tag}_{os.getpid()}") as url:
        cmd = [sys.executable, __file__, "_worker", mode, "--size", size, "--persons", str(persons)]
        if profile:
            cmd.append("--profile")
        env = env_for(url)
        if src:  # another source tree under test (see --alt-src)
            env["PYTHONPATH"] = src
        load = os.getloadavg()[0]
        return {**run_json(cmd, env), "load": load}


def full_city(kind: str, size: str) -> dict[str, Any]:
    with ScratchDB(kind, f"seed_full_{os.getpid()}") as url:
        start = time.perf_counter()
        proc = subprocess.run([*yiwang_cmd(), "demo", "seed", "--size", size], env=env_for(url),
                              capture_output=True, text=True, check=False)  # fmt: skip
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-4000:])
            raise SystemExit(f"yiwang demo seed failed on {kind}")
        counts = {k: int(v.replace(",", "")) for k, v in re.findall(r"(\w+): ([\d,]+) new rows", proc.stdout)}
        reported = re.search(r"ready in ([\d.]+) s", proc.stdout)
        rows = counts.get("persons", 0) + counts.get("enterprises", 0)
        return {"wall": wall, "reported": float(reported.group(1)) if reported else None,
                "counts": counts, "rows": rows, "rows_per_s": rows / wall}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=("postgresql", "sqlite", "both"), default="both")
    ap.add_argument("--persons", type=int, default=50_000, help="persons in the measured slice")
    ap.add_argument("--rounds", type=int, default=5, help="alternating product/bare rounds")
    ap.add_argument("--size", default="city", help="generator size the slice is taken from")
    ap.add_argument("--phases", action="store_true", help="also time generate / crypto / insert apart")
    ap.add_argument("--profile", action="store_true", help="one extra cProfiled product run per DB")
    ap.add_argument("--full-city", action="store_true", help="also run `yiwang demo seed` once per DB")
    ap.add_argument("--full-size", default="city", help="size for --full-city")
    ap.add_argument("--alt-src", help="a second source tree (its src/ dir) measured as a third arm, A/B")
    args = ap.parse_args()

    kinds = ["postgresql", "sqlite"] if args.db == "both" else [args.db]
    note, cmd = f"{machine_note()}; {source_note()}", command_line()
    results: dict[str, Any] = {"machine": note, "command": cmd, "args": vars(args), "dbs": {}}
    print(f"# seed benchmark — {note}\n`{cmd}`\n")
    ratio_rows, phase_rows, full_rows = [], [], []
    for kind in kinds:
        arms = ["product", "bare"] + (["phases"] if args.phases else []) + (["alt"] if args.alt_src else [])
        runs: dict[str, list[dict[str, Any]]] = {arm: [] for arm in arms}
        for r in range(args.rounds):
            order = arms[r % len(arms) :] + arms[: r % len(arms)]  # rotate: every arm leads in turn
            for arm in order:
                mode = "product" if arm == "alt" else arm
                res = _measure(kind, mode, args.size, args.persons, f"{arm}{r}",
                               src=args.alt_src if arm == "alt" else None)  # fmt: skip
                runs[arm].append(res)
                shown = res.get("seconds") or sum(res[k] for k in ("generate", "crypto", "insert"))
                print(f"  {kind} round {r + 1} {arm:7}: {shown:.2f} s ({res['rows']:,} rows, "
                      f"load {res['load']:.1f})", flush=True)  # fmt: skip
        product = [x["seconds"] for x in runs["product"]]
        bare = [x["seconds"] for x in runs["bare"]]
        ratios = [p / b for p, b in zip(product, bare, strict=True)]
        entry: dict[str, Any] = {"runs": runs, "ratios": ratios}
        ratio_rows.append((
            kind, "seed path", f"{median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f})",
            f"{median(product):.2f} s = {args.persons / median(product):,.0f} rows/s",
            f"{median(bare):.2f} s = {args.persons / median(bare):,.0f} rows/s",
        ))  # fmt: skip
        if args.alt_src:
            alt = [x["seconds"] for x in runs["alt"]]
            alt_ratios = [a / b for a, b in zip(alt, bare, strict=True)]
            vs_product = [a / p for a, p in zip(alt, product, strict=True)]
            entry["alt_vs_product"] = vs_product
            ratio_rows.append((
                kind, f"seed path from --alt-src {args.alt_src}", f"{median(alt_ratios):.2f}× ({min(alt_ratios):.2f}–{max(alt_ratios):.2f})",
                f"{median(alt):.2f} s = {args.persons / median(alt):,.0f} rows/s; alt/product "
                f"{median(vs_product):.2f}× ({min(vs_product):.2f}–{max(vs_product):.2f})",
                f"{median(bare):.2f} s",
            ))  # fmt: skip
        if args.phases:
            phases = runs["phases"]
            med = {k: median(p[k] for p in phases) for k in ("generate", "crypto", "insert")}
            total = median(product)
            rest = total - sum(med.values())
            phase_rows.append((kind, *(f"{v:.2f} s ({v / total:.0%})" for v in med.values()),
                               f"{rest:.2f} s ({rest / total:.0%})", f"{total:.2f} s"))  # fmt: skip
        if args.profile:
            entry["profile"] = _measure(kind, "product", args.size, args.persons, "prof", True)["profile"]
            print(entry["profile"])
        if args.full_city:
            full = full_city(kind, args.full_size)
            entry["full_city"] = full
            full_rows.append((kind, f"{full['wall']:.1f} s", f"{full['rows']:,}", f"{full['rows_per_s']:,.0f}",
                              f"{full['reported']:.1f} s"))  # fmt: skip
        results["dbs"][kind] = entry

    print(
        f"\n## product seed path / bare load, {args.persons:,} persons, median of {args.rounds} (min–max)\n"
    )
    print(table(("database", "code", "ratio to bare", "seed path (median)", "bare (median)"), ratio_rows))
    if phase_rows:
        print(f"\n## where the time goes (medians of {args.rounds}; 'other' = product total − the three)\n")
        print(table(("database", "generate", "crypto (person_tuple)", "bare insert", "other", "product total"),
                    phase_rows))  # fmt: skip
    if full_rows:
        print(f"\n## `yiwang demo seed --size {args.full_size}`, one run each (absolute)\n")
        print(table(("database", "wall", "persons+enterprises", "rows/s", "seed's own timer"), full_rows))
    print(f"\nraw numbers: {save('seed', results)}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        wp = argparse.ArgumentParser()
        wp.add_argument("mode", choices=("product", "bare", "phases"))
        wp.add_argument("--size", default="city")
        wp.add_argument("--persons", type=int, required=True)
        wp.add_argument("--profile", action="store_true")
        wa = wp.parse_args(sys.argv[2:])
        print(json.dumps(worker(wa.mode, wa.size, wa.persons, wa.profile)))
    else:
        main()
