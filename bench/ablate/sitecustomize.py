"""Ablations for `bench/ab_servers.py`: a server started with this directory on PYTHONPATH and
YIWANG_ABLATE=step[,step] runs with those steps of the governed read replaced by nothing, to
price each step by difference (never for anything but a benchmark: records go unwritten).

  nowrite    the usage and audit records are built but not submitted (no group commit, no wait)
  nowait     the records are written, the answer does not wait for their commit

Python imports `sitecustomize` at start-up from the first directory on sys.path that has one.
"""

from __future__ import annotations

import os

_STEPS = {s for s in os.environ.get("YIWANG_ABLATE", "").split(",") if s}

if _STEPS:
    from yiwang.core import group_commit
    from yiwang.core.web import deps

    unknown = _STEPS - {"nowrite", "nowait"}
    if unknown:
        raise SystemExit(f"unknown ablation: {', '.join(sorted(unknown))}")
    if "nowrite" in _STEPS:
        group_commit.submit = lambda *a, **k: None  # type: ignore[assignment]
    if "nowait" in _STEPS:

        async def _no_wait(records: object, raise_refusal: bool = True) -> None:
            return None

        deps._durable = _no_wait  # type: ignore[assignment]
