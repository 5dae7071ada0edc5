"""Baseline endpoints for benchmarks only (YIWANG_BENCH_ENDPOINTS=true, never in production):
the same server, driver, pool and unit of work as the governed API, minus the governance,
so a governed call can be measured as a ratio against a bare primary-key read."""

from __future__ import annotations

import json

from fastapi import APIRouter, Response
from sqlalchemy import Table, select

from yiwang.core.db import Base
from yiwang.core.errors import NotFound
from yiwang.core.web.deps import ReadDB

router = APIRouter(prefix="/api/v1/_bench", include_in_schema=False)


@router.get("/pk/{table}/{row_id}")
def primary_key_read(table: str, row_id: int, db: ReadDB) -> Response:
    """Written as the governed reads are: the same read-only unit of work (one round trip on
    PostgreSQL), the session ended in the route's thread and the answer serialised once, so the
    ratio prices the governance and nothing else."""
    t: Table | None = Base.metadata.tables.get(table)
    if t is None:
        raise NotFound("no such table")
    row = db.execute(select(t).where(t.c.id == row_id)).mappings().first()
    db.commit()
    if row is None:
        raise NotFound("no such row")
    out = {k: (v.hex() if isinstance(v, bytes) else v) for k, v in row.items()}
    return Response(json.dumps(out, ensure_ascii=False, default=str), media_type="application/json")
