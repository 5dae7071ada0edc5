"""Baseline endpoints for benchmarks only (YIWANG_BENCH_ENDPOINTS=true, never in production):
the same server, driver, pool and unit of work as the governed API, minus the governance,
so a governed call can be measured as a ratio against a bare primary-key read."""

from __future__ import annotations

from functools import lru_cache

import orjson
from fastapi import APIRouter, Response
from sqlalchemy import Select, bindparam, select

from yiwang.core import reads
from yiwang.core.db import Base, fetch_rows
from yiwang.core.errors import NotFound
from yiwang.core.web.deps import ReadDB

router = APIRouter(prefix="/api/v1/_bench", include_in_schema=False)


@router.get("/pk/{table}/{row_id}")
async def primary_key_read(table: str, row_id: int, db: ReadDB) -> Response:
    """Written as the governed reads are: on the event loop, the same read-only unit of work,
    its one SELECT awaited on the same pool (`core.reads`), the answer serialised once, so the
    ratio prices the governance and nothing else."""
    stmt = _by_id(table)
    if stmt is None:
        raise NotFound("no such table")
    rows = await reads.fetch(db, stmt, {"row_id": row_id}, fetch_rows)
    if not rows:
        raise NotFound("no such row")
    out = {k: (v.hex() if isinstance(v, bytes) else v) for k, v in rows[0].items()}
    return Response(orjson.dumps(out, default=str), media_type="application/json")  # as `deps.plain_json`


@lru_cache(maxsize=64)
def _by_id(table: str) -> Select[tuple[object, ...]] | None:
    t = Base.metadata.tables.get(table)
    return None if t is None else select(t).where(t.c.id == bindparam("row_id"))
