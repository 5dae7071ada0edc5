"""FastAPI app factory: mounts every context's API and pages, the web shell and ops endpoints."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

import yiwang.contexts as contexts
from yiwang.contexts import catalog, cityops, exchange, identity, services, workbench
from yiwang.core import (
    authz,
    db,
    events_dispatch,
    events_nats,
    group_commit,
    jobs,
    labels,
    logging,
    metrics,
    reads,
)
from yiwang.core.web import contract, errors, ops
from yiwang.core.web.body_limit import BodyLimit
from yiwang.core.web.middleware import RequestContext
from yiwang.settings import get_settings

STATIC = Path(__file__).parent / "core" / "web" / "static"


def _audit_denials() -> None:
    from yiwang.core import audit

    def listener(actor: object, action: str, target: object, reason: str) -> None:
        tid = getattr(target, "id", None) or getattr(target, "code", None)
        if tid is None:
            tid = target if isinstance(target, str | int) else ""
        kind = labels.object_type_of(target)  # named in Chinese on the audit page (`core.labels`)
        detail = {"reason": reason, "target_region": getattr(target, "region_code", None)}
        audit.record_outside(actor, action, kind[:40], str(tid)[:64], outcome="denied", detail=detail)

    authz.on_denial(listener)


def _register_gauges() -> None:
    def pool_checked_out() -> float:
        pool = db.get_engine().pool
        return float(getattr(pool, "checkedout", lambda: 0)())

    def audit_figure(which: str) -> float:
        from yiwang.core import audit_repository

        with db.transaction() as s:
            return float(
                audit_repository.unsealed_count(s) if which == "unsealed" else audit_repository.count(s)
            )

    metrics.gauge("yiwang_db_pool_checked_out", "database connections in use", pool_checked_out)
    metrics.gauge("yiwang_audit_records", "audit records written", lambda: audit_figure("all"))
    metrics.gauge("yiwang_audit_unsealed", "audit records not yet linked into the hash chain",
                  lambda: audit_figure("unsealed"))  # fmt: skip


def register_jobs() -> None:
    """Every periodic job: audit sealing, overdue sharing requests, webhook delivery."""
    from yiwang.contexts.exchange.tasks import register_jobs as exchange_jobs

    jobs.register_core_jobs(get_settings().audit_seal_interval)
    exchange_jobs()


def _freeze_startup_objects() -> None:
    """Move everything built at start-up (modules, routes, models, metadata: ~180k objects) out
    of the cyclic garbage collector's reach. Without it every full collection walks them all,
    about every 2 s under load, each a ~120 ms pause of the whole worker (docs/benchmarks.md §0a).
    They live as long as the process anyway; requests' garbage is still collected as before.

    The young generation's threshold goes from 700 allocations to 5,000: at 700 a collection
    ran every ~6 ms under load and found most of its objects alive (the records of the 32
    requests in flight), 4.2 s of a 45 s run; at 5,000 most of them are gone before it runs,
    1.3 s, and the lookup answers 10% more calls (docs/benchmarks.md §0)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(5_000, 10, 10)


def create_app(*, seal_in_background: bool = True) -> FastAPI:
    """`seal_in_background=False` starts no background threads at all (tests run jobs themselves
    with `core.jobs.run_once`); otherwise the job runner (audit sealing, escalation, webhook
    delivery), the event dispatcher and, with `nats_url` set, the NATS relay run in daemon
    threads for the app's lifetime."""
    settings = get_settings()
    logging.configure(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runner = jobs.Runner()
        if seal_in_background:
            register_jobs()
            _freeze_startup_objects()  # a serving process (tests build many apps: nothing to freeze)
            events_dispatch.start()
            if settings.nats_url:
                events_nats.start()
            runner.start()
            if settings.database_url.startswith("postgresql"):
                # Sync routes hold a pooled connection each: no more of them at once than the
                # pool keeps, or every extra one opens (and closes) a connection of its own.
                # (SQLite keeps anyio's default: a writer waiting for the file lock holds a thread.)
                anyio.to_thread.current_default_thread_limiter().total_tokens = settings.db_pool_size
        yield
        await reads.close_all()
        await group_commit.close_loop_writer()
        if seal_in_background:
            runner.stop()
            events_nats.stop()
            events_dispatch.stop()
            from yiwang.core.audit_sealer import seal_all

            seal_all()

    app = FastAPI(
        title="一网 yiwang API",
        version="0.1.0",
        description="一网通办、一网统管、一网协同与数据基础的开放接口。错误按 RFC 9457 返回 problem+json。",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    contexts.load()
    errors.install(app)
    app.add_middleware(BodyLimit, default_limit=settings.max_body_bytes)  # 413 before any parsing
    app.add_middleware(RequestContext)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(ops.router)
    if settings.bench_endpoints:
        from yiwang.core.web import bench

        app.include_router(bench.router)
    # A request walks the route table in order: the API before the pages, and the exchange first
    # (other systems' data-use calls are by far the most frequent requests).
    routers = [
        r
        for context in (exchange, identity, catalog, workbench, services, cityops)
        for r in context.routers()
    ]
    for router in sorted(routers, key=lambda r: not r.prefix.startswith("/api")):
        app.include_router(router)
    contract.install(app)  # every operation's error answers and bounds, in the OpenAPI document
    _wire_once()
    return app


_wired = False


def _wire_once() -> None:
    global _wired
    if not _wired:
        _audit_denials()
        _register_gauges()
        _wired = True
