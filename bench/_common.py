"""Helpers shared by the benchmark scripts: scratch databases, subprocess environments,
medians and Markdown tables. Nothing here imports `yiwang`, so the scripts can choose which
source tree a worker process runs (set PYTHONPATH to pin an exported commit)."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = ROOT / "var" / "bench"
PG_SERVER = os.environ.get("YIWANG_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
DB_PREFIX = "yiwang_bench_"


def yiwang_cmd() -> list[str]:
    """The `yiwang` console script next to this interpreter (falls back to the module)."""
    script = Path(sys.executable).with_name("yiwang")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from yiwang.cli import app; app()"]


def env_for(url: str, **settings: Any) -> dict[str, str]:
    """The environment of a yiwang process on `url`; extra settings become YIWANG_<NAME>."""
    env = dict(os.environ)
    env["YIWANG_DATABASE_URL"] = url
    env.setdefault("YIWANG_LOG_LEVEL", "WARNING")
    for key, value in settings.items():
        env[f"YIWANG_{key.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    return env


def pg_url(db: str, server: str = PG_SERVER) -> str:
    return f"{server.rstrip('/')}/{db}"


def libpq_url(sqlalchemy_url: str) -> str:
    """postgresql+psycopg://... -> postgresql://... for a bare psycopg connection."""
    return "postgresql://" + sqlalchemy_url.split("://", 1)[1]


def _admin(server: str) -> Any:
    import psycopg

    return psycopg.connect(libpq_url(pg_url("postgres", server)), autocommit=True)


def pg_create(name: str, server: str = PG_SERVER) -> str:
    """A fresh, empty PostgreSQL database called yiwang_bench_<name>; returns its URL."""
    db = name if name.startswith(DB_PREFIX) else DB_PREFIX + name
    with _admin(server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')
    return pg_url(db, server)


def pg_drop(url: str, server: str = PG_SERVER) -> None:
    db = url.rsplit("/", 1)[1]
    if not db.startswith(DB_PREFIX):  # never drop anything this benchmark did not create
        raise ValueError(f"refusing to drop {db!r}")
    with _admin(server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def pg_exists(url: str, server: str = PG_SERVER) -> bool:
    with _admin(server) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.rsplit("/", 1)[1],))
        return row.fetchone() is not None


class ScratchDB:
    """A fresh database of the given kind for one measurement, dropped on exit."""

    def __init__(self, kind: str, name: str, server: str = PG_SERVER) -> None:
        self.kind, self.name, self.server = kind, name, server
        self.url = ""
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> str:
        if self.kind == "postgresql":
            self.url = pg_create(self.name, self.server)
        else:
            self._dir = tempfile.TemporaryDirectory(prefix=DB_PREFIX)
            self.url = f"sqlite:///{self._dir.name}/{self.name}.db"
        return self.url

    def __exit__(self, *exc: object) -> None:
        if self.kind == "postgresql":
            pg_drop(self.url, self.server)
        elif self._dir is not None:
            self._dir.cleanup()


def run_json(cmd: Sequence[str], env: dict[str, str], timeout: float | None = None) -> dict[str, Any]:
    """Run a worker that prints one JSON object as its last stdout line."""
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-4000:])
        raise SystemExit(f"worker failed ({proc.returncode}): {' '.join(cmd)}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def median(values: Iterable[float]) -> float:
    return float(statistics.median(list(values)))


def machine_note() -> str:
    cpus = os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {cpus} CPU, "
        f"Python {platform.python_version()}, load avg at start {load:.2f}"
    )


def source_note() -> str:
    """Which `yiwang` the workers import: an exported tree (with a COMMIT file) or a git work tree."""
    code = "import pathlib, yiwang; print(pathlib.Path(yiwang.__file__).resolve().parents[2])"
    root = Path(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    if (root / "COMMIT").exists():
        return f"yiwang from {root}, an export of commit {(root / 'COMMIT').read_text().strip()}"
    git = ["git", "-C", str(root)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "src"], capture_output=True, text=True, check=False
    )
    state = " + uncommitted changes in src/" if dirty.stdout.strip() else ""
    return f"yiwang from {root}, commit {head.stdout.strip() or '?'}{state}"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}"
        return str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def save(name: str, data: dict[str, Any]) -> Path:
    """Keep the raw numbers of a run under var/bench/ (ignored by git)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    return path


def command_line() -> str:
    """How this script was invoked, for the 'command to reproduce' column."""
    script = Path(sys.argv[0]).resolve()
    try:
        shown = str(script.relative_to(ROOT))
    except ValueError:
        shown = str(script)
    return " ".join([".venv/bin/python", shown, *sys.argv[1:]])


def thread_load(conns: int, run: Any, latencies: list[float]) -> dict[str, float]:
    """Run `run(i)` on `conns` threads (each appends its latencies), then summarise."""
    import threading
    import time

    workers = [threading.Thread(target=run, args=(i,)) for i in range(conns)]
    start = time.perf_counter()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    elapsed = time.perf_counter() - start
    latencies.sort()

    def pick(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0.0

    return {"requests": len(latencies), "seconds": elapsed, "rps": len(latencies) / elapsed,
            "p50_ms": pick(0.50), "p99_ms": pick(0.99)}  # fmt: skip
