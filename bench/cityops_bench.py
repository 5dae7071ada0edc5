"""City events on PostgreSQL with the `city` demo grids (547 Voronoi grids), in one process:

  intake      `actions.event_report_batch` of --batch events in one transaction: grid lookup
              (STR-tree), duplicate check, the event row, its audit record, the case started,
              registered and dispatched by the rules on the workflow engine (three outbox
              events, three audit records per event), commit; the dispatcher thread running as
              in a server (the to-do projection and notifications after commit)
  bare        the same event rows with their grid, street and district (computed beforehand)
              inserted with plain executemany through the same engine, commit

Arms alternate for --rounds rounds; reported are events/s and their ratio. Then the latency
from intake to dispatched state at a steady rate (--rate single reports a second for
--seconds: the event is dispatched inside its intake transaction, so the latency is the call's),
and the grid lookup alone with 100 vs 10,000 grids (Voronoi cells of random points, the same
number of random points looked up per arm, arms alternating).

    .venv/bin/python bench/cityops_bench.py                 # 5 rounds of 200-event batches, 2/s steady for 30 s
    .venv/bin/python bench/cityops_bench.py --rounds 7 --batch 1000
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from typing import Any

from _common import ScratchDB, command_line, machine_note, median, save, table


def _setup(url: str) -> None:
    os.environ["YIWANG_DATABASE_URL"] = url
    os.environ.setdefault("YIWANG_LOG_LEVEL", "WARNING")
    from yiwang.contexts import load
    from yiwang.contexts.cityops.seed import seed
    from yiwang.contexts.identity.demo import generate_city
    from yiwang.contexts.identity.seed import SeedReport, _organisation
    from yiwang.core import migrations
    from yiwang.core.db import transaction

    load()
    migrations.upgrade(url)
    _organisation(generate_city("city"), SeedReport("city"))
    with transaction() as s:
        seed(s)


def _points(n: int, rng: random.Random) -> list[tuple[float, float, str]]:
    from shapely.geometry import Point, shape

    from yiwang.contexts import identity
    from yiwang.core.db import transaction

    with transaction() as s:
        grids = [shape(g.geometry) for g in identity.grid_shapes(s)]
    out = []
    while len(out) < n:
        g = rng.choice(grids)
        x0, y0, x1, y1 = g.bounds
        p = (rng.uniform(x0, x1), rng.uniform(y0, y1))
        if g.contains(Point(p)):
            out.append((round(p[0], 7), round(p[1], 7), ""))
    return out


def _batch(n: int, rng: random.Random) -> list[Any]:
    from yiwang.contexts.cityops.catalogue import CATEGORIES
    from yiwang.contexts.cityops.schemas import EventIn

    return [EventIn(category_code=rng.choice(CATEGORIES).code, lon=x, lat=y, description="压测事件：路面问题",
                    source="sensor", address="压测地址") for x, y, _ in _points(n, rng)]  # fmt: skip


def _client() -> Any:
    from yiwang.core.actor import Actor

    return Actor(kind="client", name="压测感知平台", client_id="bench", scopes=frozenset({"cityops"}))


def product(items: list[Any]) -> float:
    from yiwang.contexts.cityops import actions
    from yiwang.core.db import transaction

    t = time.perf_counter()
    with transaction() as s:
        ids = actions.event_report_batch(s, _client(), items)
    dt = time.perf_counter() - t
    assert len(ids) == len(items)
    return len(items) / dt


def bare(items: list[Any]) -> float:
    import uuid

    from sqlalchemy import insert

    from yiwang.contexts.cityops import geo
    from yiwang.contexts.cityops.models import CityEvent
    from yiwang.core.db import transaction, utcnow

    with transaction() as s:
        places = geo.index(s).locate_many(
            [(d.lon, d.lat) for d in items]
        )  # not timed: the baseline is the write
    now = utcnow()
    rows = [dict(category_code=d.category_code, lon=d.lon, lat=d.lat, address=d.address, description=d.description,
                 source=d.source, urgency=d.urgency, occurred_at=now, grid_code=p.grid_code, street_code=p.street_code,
                 district_code=p.district_code, status="reported", reporter_label="bench", token=str(uuid.uuid4()),
                 created_at=now) for d, p in zip(items, places, strict=True) if p]  # fmt: skip
    t = time.perf_counter()
    with transaction() as s:
        s.execute(insert(CityEvent), rows)
    return len(rows) / (time.perf_counter() - t)


def steady(rate: float, seconds: float, rng: random.Random) -> dict[str, float]:
    from yiwang.contexts.cityops import actions
    from yiwang.core.db import transaction

    items = _batch(int(rate * seconds), rng)
    lat: list[float] = []
    start = time.perf_counter()
    for i, d in enumerate(items):
        wait = start + i / rate - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        t = time.perf_counter()
        with transaction() as s:
            out = actions.event_report(s, _client(), d)
        lat.append(time.perf_counter() - t)
        assert out.status in ("dispatched", "reported")
    lat.sort()
    return {
        "p50_ms": lat[len(lat) // 2] * 1000,
        "p99_ms": lat[int(len(lat) * 0.99) - 1] * 1000,
        "n": len(lat),
    }


def synthetic_index(n: int, rng: random.Random) -> Any:
    import shapely
    from shapely.geometry import MultiPoint, box

    from yiwang.contexts.cityops.geo import GridIndex

    frame = box(119.0, 29.2, 120.7, 30.6)
    pts = MultiPoint([(rng.uniform(119.0, 120.7), rng.uniform(29.2, 30.6)) for _ in range(n)])
    cells = [c.intersection(frame) for c in shapely.voronoi_polygons(pts, extend_to=frame).geoms]
    return GridIndex(
        [(f"G{i:05d}", f"网格{i}", "330100001", shapely.geometry.mapping(c)) for i, c in enumerate(cells)]
    )


def lookups(index: Any, points: list[tuple[float, float]]) -> float:
    t = time.perf_counter()
    for x, y in points:
        index.locate(x, y)
    return (time.perf_counter() - t) / len(points) * 1e6  # µs per lookup


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--rate", type=float, default=2.0)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--lookups", type=int, default=20000)
    args = ap.parse_args()
    sys.setrecursionlimit(10000)
    rng = random.Random(2026)
    with ScratchDB("postgresql", "cityops") as url:
        _setup(url)
        from yiwang.core import events_dispatch

        events_dispatch.start()
        product(_batch(50, rng))  # warm up: index, definitions, caches
        res: dict[str, list[float]] = {"intake": [], "bare": []}
        for r in range(args.rounds):
            items = _batch(args.batch, rng)
            for arm in ("intake", "bare") if r % 2 == 0 else ("bare", "intake"):
                res[arm].append(product(items) if arm == "intake" else bare(_batch(args.batch, rng)))
        lat = steady(args.rate, args.seconds, rng)
        events_dispatch.stop()
    idx = {n: synthetic_index(n, rng) for n in (100, 10_000)}
    pts = [(rng.uniform(119.0, 120.7), rng.uniform(29.2, 30.6)) for _ in range(args.lookups)]
    lk: dict[int, list[float]] = {100: [], 10_000: []}
    for r in range(args.rounds):
        for n in (100, 10_000) if r % 2 == 0 else (10_000, 100):
            lk[n].append(lookups(idx[n], pts))
    m = {k: median(v) for k, v in res.items()}
    out = {"command": command_line(), "machine": machine_note(), "intake_per_s": res["intake"], "bare_per_s": res["bare"],
           "median_intake": m["intake"], "median_bare": m["bare"], "ratio": m["intake"] / m["bare"], "steady": lat,
           "lookup_us": {str(k): v for k, v in lk.items()}}  # fmt: skip
    save("cityops", out)
    print(table(["arm", "median events/s", "runs"], [("intake + grid + dispatch", m["intake"], len(res["intake"])),
                                                    ("bare insert", m["bare"], len(res["bare"]))]))  # fmt: skip
    print(f"ratio intake/bare: {m['intake'] / m['bare']:.3f}")
    print(
        f"steady {args.rate}/s for {args.seconds}s: p50 {lat['p50_ms']:.1f} ms, p99 {lat['p99_ms']:.1f} ms (n={lat['n']})"
    )
    l100, l10k = median(lk[100]), median(lk[10_000])
    print(f"grid lookup: 100 grids {l100:.1f} µs, 10,000 grids {l10k:.1f} µs, ratio {l10k / l100:.2f}")
    print(machine_note())


if __name__ == "__main__":
    main()
