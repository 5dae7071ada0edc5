"""The figures of the command dashboard (城市运行指挥) and of the public statistics page: open
events by category and status, overdue, closing rate, mean handling time per street and
department, daily trend, the points on the map. The public figures carry no point, plate,
description or reporter: counts only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from yiwang.contexts import identity
from yiwang.contexts.cityops import cases, scenarios
from yiwang.contexts.cityops import repository as repo
from yiwang.contexts.cityops.actions import STATE_LABELS
from yiwang.contexts.cityops.policies import AreaTarget
from yiwang.core import authz, workflow
from yiwang.core.actor import Actor
from yiwang.core.db import utcnow
from yiwang.core.workdays import SHANGHAI

TREND_DAYS = 14


def _trend(session: Session) -> dict[str, list[Any]]:
    today = utcnow().astimezone(SHANGHAI).date()
    days = [today - timedelta(days=i) for i in range(TREND_DAYS - 1, -1, -1)]
    created = dict.fromkeys(days, 0)
    closed = dict.fromkeys(days, 0)
    since = utcnow() - timedelta(days=TREND_DAYS + 1)
    for a, b in repo.created_per_day(session, since):
        da = a.astimezone(SHANGHAI).date()
        if da in created:
            created[da] += 1
        if b is not None and (db := b.astimezone(SHANGHAI).date()) in closed:
            closed[db] += 1
    return {"days": [d.strftime("%m-%d") for d in days], "created": list(created.values()),
            "closed": list(closed.values())}  # fmt: skip


def _figures(session: Session) -> dict[str, Any]:
    cats = {c.code: c for c in repo.categories(session)}
    by_cat: dict[str, int] = {}
    for code, n in repo.counts_by(session, "category_code", open_only=True).items():
        c = cats.get(code)
        key = f"{c.major_name}（{'部件' if code[0] == '1' else '事件'}）" if c else code
        by_cat[key] = by_cat.get(key, 0) + n
    by_status = {STATE_LABELS.get(k, k): n for k, n in repo.counts_by(session, "status").items()}
    total = sum(repo.counts_by(session, "status").values())
    closed = sum(n for k, n in repo.counts_by(session, "status").items() if k in ("closed", "cancelled"))
    return {"total": total, "closed": closed, "open": total - closed,
            "closing_rate": round(100 * closed / total, 1) if total else 0.0,
            "by_category": by_cat, "by_status": by_status, "trend": _trend(session)}  # fmt: skip


def _areas(session: Session, column: str, names: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for key, n, closed, hours in repo.area_figures(session, column):
        rows.append({"name": names.get(key, key), "events": n, "closed": closed,
                     "closing_rate": round(100 * closed / n, 1) if n else 0.0,
                     "mean_hours": round(hours, 1) if hours is not None else None})  # fmt: skip
    return sorted(rows, key=lambda r: -r["events"])


def dashboard(session: Session, actor: Actor) -> dict[str, Any]:
    authz.check(actor, "cityops.dashboard_read", AreaTarget(actor.region_code))
    out = _figures(session)
    streets = {c: v[0] for c, v in identity.regions_named(session, "street").items()}
    depts = {str(d.id): d.name for d in identity.departments(session)}
    overdue = {c.subject_id for c in workflow.open_cases(session, cases.CODE, overdue_only=True)}
    out["overdue"] = len(overdue)
    out["streets"] = _areas(session, "street_code", streets)
    out["departments"] = _areas(session, "department_id", depts)
    cats = {c.code: c.name for c in repo.categories(session)}
    out["points"] = [
        {"id": e.id, "lon": e.lon, "lat": e.lat, "category": cats.get(e.category_code, ""),
         "status": STATE_LABELS.get(e.status, e.status), "open": e.closed_at is None, "overdue": str(e.id) in overdue,
         "grid": e.grid_code}
        for e in repo.open_points(session)
    ]  # fmt: skip
    per_grid: dict[str, int] = {}
    for p in out["points"]:
        if p["open"]:
            per_grid[p["grid"]] = per_grid.get(p["grid"], 0) + 1
    out["grids_open"] = per_grid
    out["updated_at"] = utcnow().astimezone(SHANGHAI).strftime("%H:%M:%S")
    return out


def public_stats(session: Session, actor: Actor) -> dict[str, Any]:
    """Counts only: by major class, status, district, the closing rate and the daily trend."""
    authz.check(actor, "cityops.stats_read", None)
    out = _figures(session)
    districts = {c: v[0] for c, v in identity.regions_named(session, "district").items()}
    out["districts"] = [{k: v for k, v in r.items()} for r in _areas(session, "district_code", districts)]
    return out


def signal_plans(session: Session, actor: Actor) -> list[tuple[Any, scenarios.SignalPlan]]:
    """拥堵: each seeded intersection's Webster timing against its current one."""
    authz.check(actor, "cityops.scenario_read", None)
    out = []
    for i in repo.intersections(session):
        phases = [scenarios.Phase(p["name"], p["flow"], p["saturation"], p["green"]) for p in i.phases]
        out.append((i, scenarios.webster(phases, i.cycle_s, i.lost_time_s)))
    return out
