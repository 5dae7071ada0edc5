"""A schemathesis run against a real server: `python -m tests.api.fuzz [seconds] [seed]` by hand,
`fuzz_run()` from the test. The server serves the database in YIWANG_DATABASE_URL (migrated and
seeded); the caller is an API client with the identity and exchange scopes."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx2 as httpx

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
SCHEMATHESIS_VERSION = "4.32.5"  # pinned in pyproject.toml
SEED = 19
SCOPES = ("identity", "exchange")
MAX_EXAMPLES = 15  # per operation and phase: the same requests every run; --max-time only caps it
CHECKS = "all"


@dataclass
class FuzzResult:
    exit_code: int
    requests: int
    server_errors: int
    undocumented: int
    failures: list[str]
    output: str
    operations: int = 0  # in the OpenAPI document
    tested: int = 0  # of them, reached by the run


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _client_token(base: str, scopes: tuple[str, ...]) -> str:
    from yiwang.contexts import load
    from yiwang.contexts.identity.actions_access import client_create
    from yiwang.core.actor import SYSTEM
    from yiwang.core.db import transaction

    load()
    with transaction() as s:
        c, secret = client_create(s, SYSTEM, f"接口契约测试 {uuid.uuid4().hex[:6]}", list(scopes),
                                  "330100", None, 1_000_000)  # fmt: skip
    r = httpx.post(f"{base}/api/v1/oauth/token", data={"grant_type": "client_credentials",
                   "client_id": c.client_id, "client_secret": secret}, timeout=30)  # fmt: skip
    r.raise_for_status()
    return str(r.json()["access_token"])


def prepare() -> None:
    """In a process of its own (`YIWANG_DATABASE_URL` set): migrate, seed the demo city, register
    the calling system; prints its client id and secret as JSON."""
    from yiwang.contexts import load
    from yiwang.contexts.identity.actions_access import client_create
    from yiwang.core import migrations
    from yiwang.core.actor import SYSTEM
    from yiwang.core.db import transaction
    from yiwang.demo import seed_demo

    load()
    migrations.upgrade(os.environ["YIWANG_DATABASE_URL"])
    seed_demo("small", 2026)
    scopes = [
        s for s in os.environ.get("FUZZ_SCOPES", ",".join(SCOPES)).split(",") if s not in ("", "-")
    ] or ["identity"]
    with transaction() as s:
        c, secret = client_create(s, SYSTEM, "接口契约测试", scopes, "330100", None, 1_000_000)
        print(json.dumps({"client_id": c.client_id, "secret": secret}))


def own_database(url: str, scopes: tuple[str, ...] = SCOPES) -> dict[str, str]:
    """Prepare a database of the fuzz run's own (the run writes: other tests must not see it)."""
    env = {
        **os.environ,
        "YIWANG_DATABASE_URL": url,
        "FUZZ_SCOPES": ",".join(scopes) or "-",
        "PYTHONPATH": str(ROOT),
    }
    out = subprocess.run([str(BIN / "python"), "-c", "from tests.api.fuzz import prepare; prepare()"],
                         env=env, capture_output=True, text=True, timeout=600, check=True, cwd=ROOT)  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _serve(port: int, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    cmd = [str(BIN / "python"), "-m", "uvicorn", "yiwang.app:create_app", "--factory", "--port", str(port),
           "--host", "127.0.0.1", "--no-access-log", "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env or os.environ.copy())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


def _token(base: str, client: dict[str, str]) -> str:
    r = httpx.post(f"{base}/api/v1/oauth/token", data={"grant_type": "client_credentials",
                   "client_id": client["client_id"], "client_secret": client["secret"]}, timeout=30)  # fmt: skip
    r.raise_for_status()
    return str(r.json()["access_token"])


def fuzz_run(max_time: int = 55, seed: int = SEED, max_examples: int = MAX_EXAMPLES,
             scopes: tuple[str, ...] = SCOPES, extra: tuple[str, ...] = (),
             database_url: str | None = None) -> FuzzResult:  # fmt: skip
    """`scopes=()`: anonymous, no token at all. `database_url`: a fresh database, prepared here
    (migrated, seeded) and served; otherwise the one in YIWANG_DATABASE_URL, as it is."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    client = own_database(database_url, scopes) if database_url else None
    server = _serve(port, {**os.environ, "YIWANG_DATABASE_URL": database_url} if database_url else None)
    try:
        if client is not None:
            auth = ["-H", f"Authorization: Bearer {_token(base, client)}"] if scopes else []
        else:
            auth = ["-H", f"Authorization: Bearer {_client_token(base, scopes)}"] if scopes else []
        # the event stream stays for a reader: test-artifacts/schemathesis/
        report_path = ROOT / "test-artifacts" / "schemathesis" / f"events-{seed}-{os.getpid()}.ndjson"
        report_path.parent.mkdir(parents=True, exist_ok=True)
        cmd = [
            str(BIN / "schemathesis"), "--config-file", str(CONFIG), "run", f"{base}/api/v1/openapi.json",
            "--checks", CHECKS, "--seed", str(seed), "--max-time", str(max_time),
            "--max-examples", str(max_examples), "--workers", "1",
            "--phases", "examples,coverage,fuzzing,stateful", "--no-shrink",
            "--request-timeout", "30", "--suppress-health-check", "all",
            *auth, "-H", f"X-User: {quote('接口契约测试')}",
            "--report", "ndjson", "--report-ndjson-path", str(report_path), *extra,
        ]  # fmt: skip
        env = {
            **os.environ,
            **({"YIWANG_DATABASE_URL": database_url} if database_url else {}),
            "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
            "PYTHONPATH": str(ROOT),
        }
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=max_time + 240, check=False,
                              env=env, cwd=ROOT)  # fmt: skip
        events = report_path.read_text(encoding="utf-8") if report_path.exists() else ""
        return parse(proc.returncode, proc.stdout + proc.stderr, events, base)
    finally:
        server.terminate()
        server.wait(timeout=30)


def served(base: str) -> tuple[int, int, dict[str, int]]:
    """Requests the server answered (its own metrics: every request schemathesis sent), those
    answered 5xx, and the count per status."""
    text = httpx.get(f"{base}/metrics", timeout=30).text
    by_status: dict[str, int] = {}
    for line in text.splitlines():
        m = re.match(r"yiwang_http_requests_total\{(.*)\} ([0-9.e+]+)$", line)
        if m and "/healthz" not in m.group(1) and "/metrics" not in m.group(1):
            status = re.search(r'status="([0-9]+)"', m.group(1))
            key = status.group(1) if status else "?"
            by_status[key] = by_status.get(key, 0) + int(float(m.group(2)))
    total = sum(by_status.values())
    return total, sum(n for st, n in by_status.items() if st.startswith("5")), by_status


def parse(code: int, output: str, ndjson: str, base: str) -> FuzzResult:
    """Figures of a run: requests and server errors as the server counted them, failed checks
    from schemathesis's event stream."""
    requests, server_errors, by_status = served(base)
    undocumented = failed_5xx = 0
    failures: list[str] = []
    for line in ndjson.splitlines():
        if '"ScenarioFinished"' not in line:
            continue
        recorder = json.loads(line)["ScenarioFinished"].get("recorder") or {}
        for checks in (recorder.get("checks") or {}).values():
            for c in checks:
                if str(c.get("status")).lower() != "failure":
                    continue
                name = str(c.get("name"))
                failures.append(f"{recorder.get('label')}: {name}")
                failed_5xx += name == "not_a_server_error"
                undocumented += name in ("status_code_conformance", "content_type_conformance")
    server_errors = max(server_errors, failed_5xx)
    selected = re.search(r"Selected: \d+/(\d+)", output)
    tested = re.search(r"Tested: (\d+)", output)
    output += f"\nserver answered: {dict(sorted(by_status.items()))}"
    return FuzzResult(code, requests, server_errors, undocumented, failures, output,
                      int(selected.group(1)) if selected else 0, int(tested.group(1)) if tested else 0)  # fmt: skip


if __name__ == "__main__":
    result = fuzz_run(
        int(sys.argv[1]) if len(sys.argv) > 1 else 45, int(sys.argv[2]) if len(sys.argv) > 2 else SEED
    )
    print(result.output)
    print(
        f"requests={result.requests} server_errors={result.server_errors} undocumented={result.undocumented}"
    )
    for f in sorted(set(result.failures))[:80]:
        print(" -", f)
