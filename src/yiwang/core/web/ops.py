"""Operational endpoints: liveness, readiness (database + migrations), Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from yiwang.core import migrations
from yiwang.core.db import get_engine
from yiwang.core.metrics import render
from yiwang.core.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz() -> Response:
    checks: dict[str, str] = {}
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
            current, head = migrations.revisions(conn)
            checks["migrations"] = "ok" if current == head else f"at {current}, head {head}"
    except Exception as exc:
        checks.setdefault("database", f"error: {type(exc).__name__}")
    ready = all(v == "ok" for v in checks.values()) and "migrations" in checks
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
    )


@router.get("/metrics")
def metrics() -> Response:
    return Response(render(), media_type="text/plain; version=0.0.4; charset=utf-8")


@router.get("/api/v1/docs")
def api_docs(request: Request) -> Response:
    return templates.TemplateResponse(request, "api_docs.html", {})
